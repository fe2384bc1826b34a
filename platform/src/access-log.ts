import type { RequestHandler } from 'express';
import { currentContext } from './context.js';
import type { Logger } from './logger.js';

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * One log line per write served ("write served": method, route template, status, duration) with the
 * request and trace ids, so that a write can be followed from the proxy through this process into
 * CDC (ADR-0026). Reads are counted by the HTTP metrics, not logged: they are most of the traffic.
 */
export function writeLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    if (SAFE.has(req.method)) {
      next();
      return;
    }
    const started = performance.now();
    // Taken now: the 'finish' event does not run in the request's context.
    const ctx = currentContext();
    res.once('finish', () => {
      const route = req.route?.path ? `${req.baseUrl}${String(req.route.path)}` : 'unmatched';
      logger.info('write served', {
        requestId: ctx?.requestId,
        traceId: ctx?.traceId,
        method: req.method,
        route,
        status: res.statusCode,
        durationMs: Math.round((performance.now() - started) * 10) / 10,
      });
    });
    next();
  };
}
