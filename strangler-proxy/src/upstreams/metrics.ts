import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** The proxy's own metrics, registered once per registry. */
export function createProxyMetrics(registry: Registry) {
  return {
    requests: new Counter({
      name: 'proxy_requests_total',
      help: 'Requests handled by the proxy, by the service that served them and the route decision',
      labelNames: ['served_by', 'domain', 'stage', 'side'] as const,
      registers: [registry],
    }),
    fallbacks: new Counter({
      name: 'proxy_fallbacks_total',
      help: 'Safe requests served by the monolith because the new service failed, timed out or its breaker was open',
      labelNames: ['service', 'reason'] as const,
      registers: [registry],
    }),
    rejected: new Counter({
      name: 'proxy_unsafe_rejected_total',
      help: 'Unsafe requests answered 503 because the new service could not take them (never replayed to the monolith)',
      labelNames: ['service', 'reason'] as const,
      registers: [registry],
    }),
    refused: new Counter({
      name: 'proxy_refused_requests_total',
      help: 'Requests refused at the edge before reaching any upstream, by reason (framing, blocked path, body, connection cap)',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    mirrors: new Counter({
      name: 'proxy_shadow_requests_total',
      help: 'Copies of safe requests sent to the new service in shadow stage, by outcome (dropped: over the shadow cap)',
      labelNames: ['service', 'outcome'] as const,
      registers: [registry],
    }),
    breakerState: new Gauge({
      name: 'proxy_breaker_state',
      help: 'Circuit breaker state per upstream instance: 0 closed, 1 half-open, 2 open',
      labelNames: ['service', 'instance'] as const,
      // With PROXY_WORKERS > 1 each worker has its breakers: the most open one is shown.
      aggregator: 'max',
      registers: [registry],
    }),
    breakerTransitions: new Counter({
      name: 'proxy_breaker_transitions_total',
      help: 'Circuit breaker state changes per upstream instance',
      labelNames: ['service', 'instance', 'state'] as const,
      registers: [registry],
    }),
    instanceHealthy: new Gauge({
      name: 'proxy_upstream_healthy',
      help: 'Health check result per upstream instance: 1 healthy, 0 failing',
      labelNames: ['service', 'instance'] as const,
      // Across workers: failing as soon as one worker's check fails.
      aggregator: 'min',
      registers: [registry],
    }),
    connectionsOpened: new Counter({
      name: 'proxy_upstream_connections_opened_total',
      help: 'TCP connections opened to upstreams (keep-alive keeps this far below the request count)',
      registers: [registry],
    }),
    upstreamDuration: new Histogram({
      name: 'proxy_upstream_response_seconds',
      help: 'Time from forwarding a request to receiving the upstream response headers',
      labelNames: ['service'] as const,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
  };
}

export type ProxyMetrics = ReturnType<typeof createProxyMetrics>;
