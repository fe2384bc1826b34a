import type { IncomingMessage, ServerResponse } from 'node:http';
import express, { type Express } from 'express';
import { requestContext } from '@strangler/platform';
import { createProxyHandler, type ProxyDeps } from './proxy/proxy-handler.js';

/**
 * The public app: every request goes through the proxy handler. The proxy's own health and
 * metrics are served by the admin app on another port, so no path of the monolith is shadowed.
 */
export function createApp(deps: ProxyDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.use(requestContext());
  const proxy = createProxyHandler(deps);
  app.use((req, res, next) => {
    proxy(req as IncomingMessage, res as ServerResponse).catch(next);
  });
  return app;
}
