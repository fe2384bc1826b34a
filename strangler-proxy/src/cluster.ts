// PROXY_WORKERS (ADR-0028): one proxy on several cores with node:cluster. The primary forks the
// workers, which share the public port (the primary hands each connection to the next worker), and
// only aggregates: it serves no request itself. Worker 0 also serves the admin app; its /metrics asks
// the primary for every worker's metrics summed (prom-client's AggregatorRegistry), and a flip made
// on it is applied at once by the other workers too.
import cluster, { type Worker } from 'node:cluster';
import { EXIT_CODES, type Logger } from '@strangler/platform';
import { AggregatorRegistry, type Registry } from 'prom-client';

const METRICS_REQ = 'strangler-proxy:metrics-req';
const METRICS_RES = 'strangler-proxy:metrics-res';
const FLAG_REFRESH = 'strangler-proxy:flag-refresh';

interface Message {
  type?: string;
  id?: number;
  text?: string;
  error?: string;
  flag?: string;
  stage?: string;
  rollout?: number;
}

/** What a worker knows of its cluster. */
export interface WorkerLink {
  index: number;
  /** Worker 0 serves the admin app (flips, dashboard, status, metrics) and the once-per-proxy jobs. */
  admin: boolean;
  /** Every worker's metrics, aggregated by the primary (Prometheus text). */
  clusterMetrics(): Promise<string>;
  /** Tells the other workers to apply a flip now (they would otherwise see it at their next poll). */
  flipped(flag: string, stage: string, rollout: number | undefined): void;
  onFlipped(apply: (flag: string, stage: string, rollout: number | undefined) => void): void;
}

/** The link of this worker (undefined when the process is not a cluster worker). */
export function workerLink(registry: Registry): WorkerLink | undefined {
  if (!cluster.isWorker || process.env.PROXY_WORKER_INDEX === undefined) return undefined;
  const index = Number(process.env.PROXY_WORKER_INDEX);
  // The worker's side of prom-client's aggregation: answer the primary with this registry.
  new AggregatorRegistry();
  AggregatorRegistry.setRegistries([registry]);
  const pending = new Map<number, { resolve: (text: string) => void; reject: (err: Error) => void }>();
  let next = 0;
  const flipListeners: ((flag: string, stage: string, rollout: number | undefined) => void)[] = [];
  process.on('message', (message: Message) => {
    if (message.type === METRICS_RES && message.id !== undefined) {
      const waiter = pending.get(message.id);
      pending.delete(message.id);
      if (message.error !== undefined) waiter?.reject(new Error(message.error));
      else waiter?.resolve(message.text ?? '');
    } else if (message.type === FLAG_REFRESH && message.flag && message.stage) {
      for (const apply of flipListeners) apply(message.flag, message.stage, message.rollout);
    }
  });
  return {
    index,
    admin: index === 0,
    clusterMetrics: () =>
      new Promise<string>((resolve, reject) => {
        const id = next++;
        pending.set(id, { resolve, reject });
        process.send!({ type: METRICS_REQ, id });
      }),
    flipped: (flag, stage, rollout) => process.send!({ type: FLAG_REFRESH, flag, stage, rollout }),
    onFlipped: (apply) => flipListeners.push(apply),
  };
}

/**
 * The primary: forks `workers` workers, answers worker 0's metrics requests with the aggregate,
 * relays flips, restarts a worker that dies (unless it failed on its configuration: then the proxy
 * stops with that exit code), and stops the workers on SIGTERM/SIGINT.
 */
export function runPrimary(workers: number, logger: Logger): void {
  const aggregator = new AggregatorRegistry();
  const byIndex = new Map<number, Worker>();
  let stopping = false;

  const fork = (index: number): void => {
    const worker = cluster.fork({ PROXY_WORKER_INDEX: String(index) });
    byIndex.set(index, worker);
    worker.on('message', (message: Message) => {
      if (message.type === METRICS_REQ) {
        aggregator
          .clusterMetrics()
          .then((text) => worker.send({ type: METRICS_RES, id: message.id, text }))
          .catch((err: unknown) => worker.send({ type: METRICS_RES, id: message.id, error: err instanceof Error ? err.message : String(err) }));
      } else if (message.type === FLAG_REFRESH) {
        for (const other of byIndex.values()) if (other !== worker && other.isConnected()) other.send(message);
      }
    });
    worker.on('exit', (code, signal) => {
      if (byIndex.get(index) === worker) byIndex.delete(index);
      if (stopping) {
        if (byIndex.size === 0) process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
        return;
      }
      if (code === EXIT_CODES.config) {
        // The same settings fail the same way in every worker: stop, and say so with the exit code.
        logger.error('a proxy worker stopped on its configuration; stopping the proxy', { worker: index });
        stop(EXIT_CODES.config);
        return;
      }
      logger.error('a proxy worker ended; starting it again', { worker: index, code, signal });
      setTimeout(() => {
        if (!stopping) fork(index);
      }, 500).unref();
    });
  };

  const stop = (code = 0): void => {
    if (stopping) return;
    stopping = true;
    process.exitCode = code;
    if (byIndex.size === 0) process.exit(code);
    for (const worker of byIndex.values()) worker.process.kill('SIGTERM');
    // Workers drain like a single proxy does (gracefulShutdown); past that, they are killed.
    setTimeout(() => {
      for (const worker of byIndex.values()) worker.process.kill('SIGKILL');
      process.exit(code);
    }, 15_000).unref();
  };
  process.once('SIGTERM', () => stop());
  process.once('SIGINT', () => stop());

  logger.info('proxy primary forking workers', { workers });
  for (let i = 0; i < workers; i++) fork(i);
}
