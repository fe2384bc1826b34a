import http from 'node:http';
import type { Logger } from '@strangler/platform';
import CircuitBreaker from 'opossum';
import type { ProxyMetrics } from './metrics.js';
import { RollingWindow } from './rolling-window.js';

export interface BreakerSettings {
  /** Share of failed calls in the rolling window that opens the breaker. */
  errorThresholdPercentage: number;
  /** How long an open breaker waits before letting one trial call through. */
  resetTimeoutMs: number;
  /** Calls needed in the window before the breaker may open. */
  volumeThreshold: number;
  rollingCountTimeoutMs: number;
}

/** One base URL of a service, with its own circuit breaker and health state. */
export class UpstreamInstance {
  healthy = true;
  /** The last minute of traffic to this instance, for the admin API's status. */
  readonly window = new RollingWindow();
  readonly breaker: CircuitBreaker<[() => Promise<void>], void>;
  readonly target: URL;

  constructor(
    readonly service: string,
    url: string,
    settings: BreakerSettings,
    private readonly logger: Logger,
    private readonly metrics: ProxyMetrics,
  ) {
    this.target = new URL(url);
    // One breaker per instance; the action runs whatever attempt it is given, so a failure of
    // this instance (error, timeout, 5xx) counts against this instance only.
    this.breaker = new CircuitBreaker((attempt: () => Promise<void>) => attempt(), {
      timeout: false,
      errorThresholdPercentage: settings.errorThresholdPercentage,
      resetTimeout: settings.resetTimeoutMs,
      volumeThreshold: settings.volumeThreshold,
      rollingCountTimeout: settings.rollingCountTimeoutMs,
      // A client that goes away is not the upstream's fault, nor is a full pool of our own connections.
      errorFilter: (err: unknown) => err instanceof UpstreamFailure && (err.reason === 'client_aborted' || err.reason === 'queue_timeout'),
      name: `${service} ${this.target.origin}`,
      // Nothing reads the breaker's latency percentiles or its snapshots: without them a call records no
      // latency, and no window of latencies is concatenated and sorted every second (ADR-0031).
      rollingPercentilesEnabled: false,
      enableSnapshots: false,
    });
    const labels = { service, instance: this.target.host };
    metrics.breakerState.set(labels, 0);
    metrics.instanceHealthy.set(labels, 1);
    const transition = (state: 'open' | 'half_open' | 'closed', value: number) => () => {
      metrics.breakerState.set(labels, value);
      metrics.breakerTransitions.inc({ ...labels, state });
      logger.warn('circuit breaker state changed', { upstream: service, instance: this.target.host, state });
    };
    this.breaker.on('open', transition('open', 2));
    this.breaker.on('halfOpen', transition('half_open', 1));
    this.breaker.on('close', transition('closed', 0));
  }

  get breakerState(): 'open' | 'half_open' | 'closed' {
    return this.breaker.opened ? 'open' : this.breaker.halfOpen ? 'half_open' : 'closed';
  }

  get available(): boolean {
    return this.healthy && !this.breaker.opened;
  }

  setHealthy(healthy: boolean): void {
    if (healthy === this.healthy) return;
    this.healthy = healthy;
    this.metrics.instanceHealthy.set({ service: this.service, instance: this.target.host }, healthy ? 1 : 0);
    this.logger.warn('upstream health changed', { upstream: this.service, instance: this.target.host, healthy });
  }
}

export type FailureReason = 'connect_error' | 'timeout' | 'server_error' | 'breaker_open' | 'no_instance' | 'client_aborted' | 'queue_timeout';

/** Why a forward did not deliver a response; `delivered` when the upstream's answer was already passed on. */
export class UpstreamFailure extends Error {
  constructor(
    readonly reason: FailureReason,
    message: string,
    readonly delivered = false,
  ) {
    super(message);
    this.name = 'UpstreamFailure';
  }
}

/** The instances of one service: round-robin over those that pass health checks and whose breaker is closed. */
export class UpstreamPool {
  readonly instances: UpstreamInstance[];
  private next = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly healthAgent = new http.Agent({ keepAlive: true, maxSockets: 2 });

  constructor(
    readonly service: string,
    urls: string[],
    private readonly healthPath: string,
    settings: BreakerSettings,
    logger: Logger,
    metrics: ProxyMetrics,
  ) {
    this.instances = urls.map((u) => new UpstreamInstance(service, u, settings, logger, metrics));
  }

  /** The next available instance, or undefined when none is (all unhealthy or open). */
  pick(): UpstreamInstance | undefined {
    const n = this.instances.length;
    for (let i = 0; i < n; i++) {
      const instance = this.instances[(this.next + i) % n]!;
      if (instance.available) {
        this.next = (this.next + i + 1) % n;
        return instance;
      }
    }
    return undefined;
  }

  /** Like pick, but falls back to any instance: the last resort (the monolith) is always tried. */
  pickAny(): UpstreamInstance {
    const instance = this.pick() ?? this.instances[this.next++ % this.instances.length];
    if (!instance) throw new Error(`service ${this.service} has no instances`);
    return instance;
  }

  startHealthChecks(intervalMs: number, timeoutMs = Math.min(1000, intervalMs)): void {
    const check = () => {
      for (const instance of this.instances) {
        const req = http.get(new URL(this.healthPath, instance.target), { agent: this.healthAgent, timeout: timeoutMs }, (res) => {
          res.resume();
          instance.setHealthy(res.statusCode === 200);
        });
        req.on('timeout', () => req.destroy(new Error('health check timed out')));
        req.on('error', () => instance.setHealthy(false));
      }
    };
    check();
    this.timer = setInterval(check, intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.healthAgent.destroy();
    for (const instance of this.instances) instance.breaker.shutdown();
  }
}
