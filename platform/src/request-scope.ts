import type { RequestHandler, Response } from 'express';
import type { Registry } from 'prom-client';
import { contextFromHeaders, runWithContext, type RequestContext } from './context.js';
import { requestDurations, routeOf } from './health.js';
import type { Logger } from './logger.js';

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);
const STARTED = Symbol('request started');
const WRITE = Symbol('write context');

interface ScopedResponse extends Response {
  [STARTED]: number;
  [WRITE]?: RequestContext;
}

/**
 * What every request of a service goes through, as one middleware: its request context (read or
 * created `x-request-id` and `traceparent`, echoed, the rest of the request run inside it), its
 * duration in the HTTP metrics, and for a write one log line, "write served" (method, route template,
 * status, duration, request and trace ids), so that a write can be followed from the proxy through
 * this process into CDC (ADR-0026). Reads are counted by the metrics, not logged: they are most of
 * the traffic. One Express layer and one 'finish' listener shared by every request, nothing allocated
 * per request but the context: it runs for every request, so it must cost next to nothing.
 */
export function requestScope(options: { logger: Logger; registry: Registry }): RequestHandler {
  const { logger } = options;
  const observe = requestDurations(options.registry);
  function finished(this: ScopedResponse): void {
    const req = this.req;
    const durationMs = performance.now() - this[STARTED];
    const route = routeOf(req);
    observe(req.method, this.statusCode, route, durationMs / 1000);
    // Taken when the request came in: the 'finish' event does not run in the request's context.
    const ctx = this[WRITE];
    if (ctx) {
      logger.info('write served', { requestId: ctx.requestId, traceId: ctx.traceId, method: req.method, route, status: this.statusCode, durationMs: Math.round(durationMs * 10) / 10 });
    }
  }
  return (req, res, next) => {
    const ctx = contextFromHeaders(req.headers);
    res.setHeader('x-request-id', ctx.requestId);
    res.setHeader('traceparent', ctx.traceparent);
    const scoped = res as ScopedResponse;
    scoped[STARTED] = performance.now();
    if (!SAFE.has(req.method)) scoped[WRITE] = ctx;
    res.on('finish', finished);
    runWithContext(ctx, next);
  };
}
