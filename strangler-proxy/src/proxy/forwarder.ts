import http, { type ClientRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { createProxyMiddleware, type RequestHandler } from 'http-proxy-middleware';
import type { ProxyMetrics } from '../upstreams/metrics.js';
import { Slots } from '../upstreams/slots.js';
import { UpstreamFailure } from '../upstreams/upstream-pool.js';
import { copyResponseHeaders } from './headers.js';

interface Attempt {
  target: URL;
  body: Buffer | undefined;
  onProxyReq(proxyReq: ClientRequest): void;
  onResponse(proxyRes: IncomingMessage): void;
  onError(err: Error): void;
}

/**
 * The request's current attempt, kept on the request itself under a private symbol: http-proxy-middleware's
 * events find it there (a WeakMap entry per request costs a lookup per event and the garbage collector more).
 */
const ATTEMPT = Symbol('strangler-proxy.attempt');
type WithAttempt = IncomingMessage & { [ATTEMPT]?: Attempt };
const attemptOf = (req: IncomingMessage): Attempt | undefined => (req as WithAttempt)[ATTEMPT];

/**
 * The target as httpxy's plain-object form, built once per upstream URL: httpxy reads a dozen fields of
 * the target for every request, and a URL computes each of them (host, hostname, port...) on every read.
 * The brackets of an IPv6 literal are removed (the form http-proxy-middleware gives a URL target);
 * a URL with a query string (never an upstream's) stays a URL.
 */
const detailedTargets = new WeakMap<URL, ProxyTargetDetailed | URL>();
type ProxyTargetDetailed = { protocol: string; hostname: string; port: string; pathname: string };
function targetOf(url: URL): ProxyTargetDetailed | URL {
  let target = detailedTargets.get(url);
  if (!target) {
    const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    target = url.search || url.username || url.password ? url : { protocol: url.protocol, hostname, port: url.port, pathname: url.pathname };
    detailedTargets.set(url, target);
  }
  return target;
}

export interface ForwardOptions {
  /** The `x-served-by` value for the response. */
  servedBy: string;
  /** Swallow a 5xx answer and report it as a failure (the caller will serve the request elsewhere). */
  failOnServerError: boolean;
  /** The request body, read whole by the proxy (the request's own stream is already consumed). */
  body?: Buffer;
  /** Sees the answer passed on to the user, as it streams (answer comparison keeps a bounded copy). */
  tap?: (answer: IncomingMessage, startedAt: number) => void;
}

export interface ForwarderOptions {
  /** Upstream response headers must arrive within this. */
  timeoutMs: number;
  /** Connections per upstream instance; as many exchanges run at once. */
  maxSockets: number;
  /** How long a request may wait for one of those; an UpstreamFailure `queue_timeout` after it. */
  queueTimeoutMs: number;
  /** Shadow copies: their own connections per service, and the most copies in flight (more are dropped). */
  shadowMaxSockets: number;
  shadowMaxInFlight: number;
}

/**
 * http-proxy-middleware's settings for every forward (also used by bench:proxy's library-alone proxy):
 * the caller handles the answer, adds no X-Forwarded-* and keeps Host, no default plugins, no logs.
 */
export const LIBRARY_SETTINGS = {
  selfHandleResponse: true,
  xfwd: false,
  changeOrigin: false,
  ejectPlugins: true,
  logger: { info: () => {}, warn: () => {}, error: () => {} },
} as const;

/** The upstream keep-alive agent's settings: newest idle socket first, `timeoutMs` its idle and answer timeout. */
export function upstreamAgentOptions(maxSockets: number, timeoutMs?: number): http.AgentOptions {
  return { keepAlive: true, maxSockets, maxFreeSockets: maxSockets, scheduling: 'lifo', ...(timeoutMs === undefined ? {} : { timeout: timeoutMs }) };
}

/**
 * Streams one request to one upstream through http-proxy-middleware and a shared keep-alive agent.
 * `forward` resolves once the upstream's response headers are passed on, and rejects with an
 * UpstreamFailure when nothing was written yet (so a safe request can still be served elsewhere).
 */
export class Forwarder {
  readonly agent: http.Agent;
  private readonly middleware: RequestHandler;

  private readonly slots = new Map<string, Slots>();
  private readonly slotsByTarget = new WeakMap<URL, Slots>();
  /** The duration histogram's child per service, looked up once (not a label hash per answer). */
  private readonly durations = new Map<string, ReturnType<ProxyMetrics['upstreamDuration']['labels']>>();
  /** Shadow copies never take the users' connections, and never queue: see `mirror`. */
  private readonly shadowAgent: http.Agent;
  private shadowInFlight = 0;

  constructor(
    private readonly metrics: ProxyMetrics,
    private readonly options: ForwarderOptions,
  ) {
    // The upstream timeout is the sockets' own idle timeout, set once per connection by the agent
    // (a busy socket's 'timeout' reaches its request, an idle pooled one is closed), instead of
    // httpxy's `proxyTimeout`, which re-armed the socket's timer and added listeners for every request.
    this.agent = new http.Agent(upstreamAgentOptions(options.maxSockets, options.timeoutMs));
    this.shadowAgent = new http.Agent(upstreamAgentOptions(options.shadowMaxSockets));
    const createConnection = this.agent.createConnection.bind(this.agent);
    this.agent.createConnection = ((...args: Parameters<typeof createConnection>) => {
      metrics.connectionsOpened.inc();
      return createConnection(...args);
    }) as typeof createConnection;

    this.middleware = createProxyMiddleware<IncomingMessage, ServerResponse>({
      router: (req, _res, options) => {
        const attempt = attemptOf(req)!;
        // A fresh stream of the body for each attempt; without a body, httpxy pipes the (ended) request.
        if (attempt.body) options.buffer = Readable.from([attempt.body]);
        return targetOf(attempt.target);
      },
      agent: this.agent,
      ...LIBRARY_SETTINGS,
      plugins: [
        (server) => {
          server.on('proxyReq', (proxyReq, req) => attemptOf(req)?.onProxyReq(proxyReq));
          server.on('proxyRes', (proxyRes, req) => attemptOf(req)?.onResponse(proxyRes));
          server.on('error', (err, req) => attemptOf(req as IncomingMessage)?.onError(err));
          server.on('econnreset', (err, req) => attemptOf(req)?.onError(err));
        },
      ],
    });
  }

  /** The admission of one upstream instance (keyed by origin, as the agent pools its sockets). */
  private slotsOf(target: URL): Slots {
    // Found through the target's URL object (an instance's own, the same every request): no origin string built per request.
    let slots = this.slotsByTarget.get(target);
    if (slots) return slots;
    slots = this.slots.get(target.origin);
    if (!slots) this.slots.set(target.origin, (slots = new Slots(this.options.maxSockets)));
    this.slotsByTarget.set(target, slots);
    return slots;
  }

  forward(req: IncomingMessage, res: ServerResponse, target: URL, options: ForwardOptions): Promise<void> {
    const slots = this.slotsOf(target);
    // A free slot (the usual case) starts the exchange at once, without a promise of its own around it.
    if (slots.tryAcquire()) return this.exchange(req, res, target, options, slots);
    return slots.wait(this.options.queueTimeoutMs).then((acquired) => {
      if (!acquired) throw new UpstreamFailure('queue_timeout', `${options.servedBy}: no free connection within ${this.options.queueTimeoutMs} ms`);
      return this.exchange(req, res, target, options, slots);
    });
  }

  /** One exchange with the upstream, its slot already taken. */
  private exchange(req: IncomingMessage, res: ServerResponse, target: URL, options: ForwardOptions, slots: Slots): Promise<void> {
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      slots.release();
    };
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      let timedOut = false;
      let proxyReq: ClientRequest | undefined;
      const started = performance.now();
      const settle = (failure?: UpstreamFailure) => {
        if (settled) return;
        settled = true;
        res.off('close', onClientClose);
        if (failure) reject(failure);
        else resolve();
      };
      const onClientClose = () => {
        proxyReq?.destroy();
        if (!proxyReq) release();
        settle(new UpstreamFailure('client_aborted', 'the client closed the connection'));
      };
      res.once('close', onClientClose);

      (req as WithAttempt)[ATTEMPT] = {
        target,
        body: options.body,
        onProxyReq: (p) => {
          proxyReq = p;
          // The exchange holds its slot until the upstream connection is free again (response read or connection gone).
          p.once('close', release);
          // The agent's socket timeout (`timeoutMs` without a byte from the upstream): give up on this exchange.
          p.once('timeout', () => {
            timedOut = true;
            p.destroy();
          });
        },
        onResponse: (proxyRes) => {
          if (settled) {
            proxyRes.resume();
            return;
          }
          const status = proxyRes.statusCode ?? 502;
          let duration = this.durations.get(options.servedBy);
          if (!duration) this.durations.set(options.servedBy, (duration = this.metrics.upstreamDuration.labels(options.servedBy)));
          duration.observe((performance.now() - started) / 1000);
          if (status >= 500 && options.failOnServerError) {
            proxyRes.resume();
            settle(new UpstreamFailure('server_error', `${options.servedBy} answered ${status}`));
            return;
          }
          const ownCookie = res.getHeader('set-cookie');
          copyResponseHeaders(proxyRes.headers, res);
          if (ownCookie !== undefined) {
            const theirs = proxyRes.headers['set-cookie'] ?? [];
            res.setHeader('set-cookie', [...theirs, ...(Array.isArray(ownCookie) ? ownCookie.map(String) : [String(ownCookie)])]);
          }
          res.setHeader('x-served-by', options.servedBy);
          res.writeHead(status, proxyRes.statusMessage);
          options.tap?.(proxyRes, started);
          proxyRes.pipe(res);
          // A 5xx passed on still counts against the instance's breaker.
          settle(status >= 500 ? new UpstreamFailure('server_error', `${options.servedBy} answered ${status}`, true) : undefined);
        },
        onError: (err) => {
          release();
          const code = (err as NodeJS.ErrnoException).code;
          settle(new UpstreamFailure(timedOut ? 'timeout' : 'connect_error', `${options.servedBy}: ${code ?? err.message}`));
        },
      };
      void this.middleware(req, res, (err?: unknown) => {
        if (err) release();
        if (err) settle(new UpstreamFailure('connect_error', `${options.servedBy}: ${err instanceof Error ? err.message : String(err)}`));
      });
    });
  }

  /**
   * Fire-and-forget copy of a safe request (shadow stage); the answer is read and dropped. Copies use
   * their own small pool, and past `shadowMaxInFlight` copies in flight a copy is dropped rather than
   * queued: the shadow can lose comparisons under load, never slow down or starve the users.
   */
  mirror(
    req: IncomingMessage,
    target: URL,
    body: Buffer | undefined,
    onOutcome: (outcome: 'ok' | 'error' | 'dropped') => void,
    capture?: (answer: IncomingMessage | Error | undefined, startedAt: number) => void,
    /** Only while at most half the cap is in flight (noise samples: they never take a copy's room). */
    spareOnly = false,
  ): void {
    if (this.shadowInFlight >= (spareOnly ? Math.floor(this.options.shadowMaxInFlight / 2) : this.options.shadowMaxInFlight)) {
      onOutcome('dropped');
      capture?.(undefined, 0);
      return;
    }
    this.shadowInFlight++;
    let done = false;
    const finish = (outcome: 'ok' | 'error') => {
      if (done) return;
      done = true;
      this.shadowInFlight--;
      onOutcome(outcome);
    };
    // What to send is fixed now; it is sent once the user's own request has gone out (setImmediate).
    // Host, port and path as they are: no URL to parse per copy.
    const host = target.hostname.startsWith('[') ? target.hostname.slice(1, -1) : target.hostname;
    const options = { host, port: target.port || 80, path: req.url ?? '/', method: req.method, headers: { ...req.headers }, agent: this.shadowAgent, timeout: 5000 };
    setImmediate(() => {
      const started = performance.now();
      let answered = false;
      const copy = http.request(options, (answer) => {
        answered = true;
        // Compared copies are read by the comparison (bounded); the others are read and dropped.
        if (capture) capture(answer, started);
        answer.resume();
        answer.once('end', () => finish((answer.statusCode ?? 500) < 500 ? 'ok' : 'error'));
        answer.once('error', () => finish('error'));
      });
      copy.on('timeout', () => copy.destroy(new Error('timeout')));
      copy.on('error', (err) => {
        if (!answered) capture?.(err, started);
        finish('error');
      });
      copy.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
    this.shadowAgent.destroy();
  }
}

