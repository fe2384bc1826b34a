import { Router, type Request, type RequestHandler } from 'express';
import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';

export type ReadinessCheck = () => Promise<void>;

/** One registry per process, with Node's default metrics and the service name as a label. */
export function createMetricsRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  return registry;
}

/** The route template of the route that served a request (bounded label cardinality); unmatched paths share one. */
export function routeOf(req: Request): string {
  return req.route?.path ? `${req.baseUrl}${String(req.route.path)}` : 'unmatched';
}

/** The histogram of request durations in `registry`, as a function that records one request. */
export function requestDurations(registry: Registry): (method: string, status: number, route: string, seconds: number) => void {
  const histogram = new Histogram({
    name: 'http_server_request_duration_seconds',
    help: 'Duration of HTTP requests served, by method, route template and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  // The histogram's children by their labels, looked up once each (not a label hash per request).
  const children = new Map<string, ReturnType<typeof histogram.labels>>();
  return (method, status, route, seconds) => {
    const key = `${method} ${status} ${route}`;
    let child = children.get(key);
    if (!child) children.set(key, (child = histogram.labels(method, route, String(status))));
    child.observe(seconds);
  };
}

/** Records each request's duration by method, matched route template and status. */
export function httpMetrics(registry: Registry): RequestHandler {
  const observe = requestDurations(registry);
  return (req, res, next) => {
    const started = performance.now();
    res.once('finish', () => observe(req.method, res.statusCode, routeOf(req), (performance.now() - started) / 1000));
    next();
  };
}

/**
 * `GET /healthz` (the process is alive), `GET /readyz` (every dependency answers) and
 * `GET /metrics` (Prometheus text format).
 */
export function healthRouter(options: {
  registry: Registry;
  checks?: Record<string, ReadinessCheck>;
  timeoutMs?: number;
  /** The text /metrics serves, when not the registry's own (several processes' metrics aggregated). */
  metrics?: () => Promise<string>;
}): Router {
  const router = Router();
  const timeoutMs = options.timeoutMs ?? 2000;
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const results: Record<string, string> = {};
    let ready = true;
    await Promise.all(
      Object.entries(options.checks ?? {}).map(async ([name, check]) => {
        try {
          await withTimeout(check(), timeoutMs);
          results[name] = 'ok';
        } catch (err) {
          ready = false;
          results[name] = err instanceof Error ? err.message : String(err);
        }
      }),
    );
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not_ready', checks: results });
  });
  router.get('/metrics', async (_req, res) => {
    res.setHeader('content-type', options.registry.contentType);
    res.send(await (options.metrics ? options.metrics() : options.registry.metrics()));
  });
  return router;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
