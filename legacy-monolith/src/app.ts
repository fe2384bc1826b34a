import { errorHandler, healthRouter, httpMetrics, notFoundHandler, requestContext, type Logger, type ReadinessCheck } from '@strangler/platform';
import express, { type Router } from 'express';
import type { Registry } from 'prom-client';
import type { Api } from './http/api.js';

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
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'extended');
  app.use(requestContext());
  app.use(httpMetrics(deps.metrics));
  app.use(healthRouter({ registry: deps.metrics, checks: deps.readiness }));
  app.use(express.json({ limit: deps.bodyLimit, strict: true }));
  const openApi = deps.api.openApiDocument({
    title: 'Legacy e-commerce monolith',
    version: '1.0.0',
    description: 'The public API of the monolith that the strangler proxy fronts.',
  });
  app.get('/openapi.json', (_req, res) => {
    res.json(openApi);
  });
  for (const router of deps.routers) app.use(router);
  app.use(notFoundHandler());
  app.use(errorHandler(deps.logger));
  return app;
}
