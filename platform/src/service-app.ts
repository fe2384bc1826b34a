import express, { type Router } from 'express';
import type { Registry } from 'prom-client';
import type { Api } from './api.js';
import { errorHandler, notFoundHandler } from './errors.js';
import { healthRouter, httpMetrics, type ReadinessCheck } from './health.js';
import { requestContext } from './context.js';
import { writeLog } from './access-log.js';
import type { Logger } from './logger.js';

export interface ServiceAppOptions {
  logger: Logger;
  registry: Registry;
  /** The routes declared with this Api make up the document at `GET /openapi.json`. */
  api: Api;
  openApi: { title: string; version: string; description?: string };
  /** Feature routers, each mounted at the root (their paths start with /api/...). */
  routers: Router[];
  /** Checks of `GET /readyz`: each dependency the service needs to serve. */
  readiness: Record<string, ReadinessCheck>;
  /** Limit of a JSON request body, e.g. `100kb`. */
  bodyLimit?: string;
}

/**
 * The Express app every service of the system is built on: request context, a log line per write, HTTP metrics,
 * `/healthz` `/readyz` `/metrics`, JSON bodies, `/openapi.json`, the feature routers, a JSON 404 and
 * the one error middleware. Does not listen.
 */
export function buildServiceApp(options: ServiceAppOptions): express.Express {
  const app = express();
  app.disable('x-powered-by');
  // `?q=a&q=b` and `?q[]=a` become arrays, which the route's validation refuses with a 400 naming the field.
  app.set('query parser', 'extended');
  app.use(requestContext());
  app.use(writeLog(options.logger));
  app.use(httpMetrics(options.registry));
  app.use(healthRouter({ registry: options.registry, checks: options.readiness }));
  app.use(express.json({ limit: options.bodyLimit ?? '100kb', strict: true }));
  const openApi = options.api.openApiDocument(options.openApi);
  app.get('/openapi.json', (_req, res) => {
    res.json(openApi);
  });
  for (const router of options.routers) app.use(router);
  app.use(notFoundHandler());
  app.use(errorHandler(options.logger));
  return app;
}
