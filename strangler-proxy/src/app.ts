import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { createProxyHandler, type ProxyDeps } from './proxy/proxy-handler.js';

/**
 * The public request listener: every request goes through the proxy handler (correlation,
 * normalisation, matching, flags, http-proxy-middleware with breakers). It is a plain Node listener
 * rather than an Express app: on this hot path Express 5 halved the throughput in our measurements
 * (docs/adr/0012). The proxy's own health and metrics are served by the admin app on another port,
 * so no path of the monolith is shadowed.
 */
export function createApp(deps: ProxyDeps): RequestListener {
  const proxy = createProxyHandler(deps);
  return (req: IncomingMessage, res: ServerResponse) => {
    proxy(req, res).catch((err: unknown) => {
      deps.logger.error('proxy handler failed', { err: err instanceof Error ? err : String(err) });
      if (!res.headersSent) {
        res.statusCode = 500;
        res.setHeader('content-type', 'application/json; charset=utf-8');
        res.end(JSON.stringify({ error: { code: 'internal_error', message: 'Internal server error', correlationId: String(res.getHeader('x-request-id') ?? 'none') } }));
      } else res.destroy();
    });
  };
}
