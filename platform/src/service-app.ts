import type { IncomingMessage, ServerResponse } from 'node:http';
import express, { type Request, type Router } from 'express';
import type { Registry } from 'prom-client';
import type { Api } from './api.js';
import { errorHandler, notFoundHandler } from './errors.js';
import { healthRouter, type ReadinessCheck } from './health.js';
import type { Logger } from './logger.js';
import { RequestScope, type FastLaneOptions } from './request-scope.js';

// The platform's own routes. Express matches paths case-insensitively and with an optional trailing
// slash, and so does this test, so that a request reaches the same route as before.
const PLATFORM_PATHS = /^\/(?:healthz|readyz|metrics|openapi\.json)\/?$/i;

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
  /**
   * Routes whose kept answers are sent again without Express while still current (ADR-0036); only
   * for GET routes without auth whose answer depends on nothing but the URL and `version`.
   */
  fastLane?: FastLaneOptions;
}

/** Express's own entry point of an app (`app(req, res)` calls it); not in its type declarations. */
type Handle = (req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void) => void;

/**
 * The Express app every service of the system is built on: request context, a log line per write, HTTP metrics,
 * an optional fast lane for kept answers,
 * `/healthz` `/readyz` `/metrics`, JSON bodies, `/openapi.json`, the feature routers, a JSON 404 and
 * the one error middleware. Does not listen.
 */
export function buildServiceApp(options: ServiceAppOptions): express.Express {
  const app = express();
  app.disable('x-powered-by');
  // `?q=a&q=b` and `?q[]=a` become arrays, which the route's validation refuses with a 400 naming the field.
  app.set('query parser', 'extended');
  const scope = new RequestScope({ logger: options.logger, registry: options.registry, ...(options.fastLane ? { fastLane: options.fastLane } : {}) });
  if (options.fastLane) {
    // The lane answers before Express sets the request up; anything it does not answer goes on as before.
    const expressApp = app as unknown as { handle: Handle };
    const handle = expressApp.handle.bind(app);
    expressApp.handle = (req, res, next) => {
      if (!scope.answer(req, res)) handle(req, res, next);
    };
  }
  app.use(scope.middleware);
  // Every request passes the layers up to its route: those that concern few requests let the others
  // pass with one test (the cost of a trivial route stays close to bare Express's).
  const platformRoutes = healthRouter({ registry: options.registry, checks: options.readiness });
  const openApi = options.api.openApiDocument(options.openApi);
  platformRoutes.get('/openapi.json', (_req, res) => {
    res.json(openApi);
  });
  app.use((req, res, next) => {
    if (PLATFORM_PATHS.test(req.path)) platformRoutes(req, res, next);
    else next();
  });
  const json = express.json({ limit: options.bodyLimit ?? '100kb', strict: true });
  app.use((req, res, next) => {
    if (mayHaveBody(req)) json(req, res, next);
    else next();
  });
  for (const router of options.routers) app.use(router);
  app.use(notFoundHandler());
  app.use(errorHandler(options.logger));
  return app;
}

/** The test of body-parser (type-is `hasBody`): a request without either header has no body to parse. */
function mayHaveBody(req: Request): boolean {
  return req.headers['transfer-encoding'] !== undefined || !Number.isNaN(Number(req.headers['content-length']));
}
