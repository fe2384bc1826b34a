import { buildServiceApp, type Api, type Logger, type ReadinessCheck } from '@strangler/platform';
import type express from 'express';
import type { Router } from 'express';
import type { Registry } from 'prom-client';

export interface AppDependencies {
  logger: Logger;
  metrics: Registry;
  api: Api;
  /** Feature routers, each mounted at the root (their paths start with /api/...). */
  routers: Router[];
  readiness: Record<string, ReadinessCheck>;
  bodyLimit: string;
}

/** Builds the monolith's Express app from its dependencies; does not listen. */
export function buildApp(deps: AppDependencies): express.Express {
  return buildServiceApp({
    logger: deps.logger,
    registry: deps.metrics,
    api: deps.api,
    openApi: { title: 'Legacy e-commerce monolith', version: '1.0.0', description: 'The public API of the monolith that the strangler proxy fronts.' },
    routers: deps.routers,
    readiness: deps.readiness,
    bodyLimit: deps.bodyLimit,
  });
}
