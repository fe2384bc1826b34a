import http, { type ClientRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { createProxyMiddleware, type RequestHandler } from 'http-proxy-middleware';
import type { ProxyMetrics } from '../upstreams/metrics.js';
import { UpstreamFailure } from '../upstreams/upstream-pool.js';
import { downstreamResponseHeaders } from './headers.js';

interface Attempt {
  target: URL;
  body: Readable | undefined;
  onProxyReq(proxyReq: ClientRequest): void;
  onResponse(proxyRes: IncomingMessage): void;
  onError(err: Error): void;
}

export interface ForwardOptions {
  /** The `x-served-by` value for the response. */
  servedBy: string;
  /** Swallow a 5xx answer and report it as a failure (the caller will serve the request elsewhere). */
  failOnServerError: boolean;
  /** Replaces `req` as the body source (the chunked-body size limiter). */
  body?: Readable;
}

/**
 * Streams one request to one upstream through http-proxy-middleware and a shared keep-alive agent.
 * `forward` resolves once the upstream's response headers are passed on, and rejects with an
 * UpstreamFailure when nothing was written yet (so a safe request can still be served elsewhere).
 */
export class Forwarder {
  readonly agent: http.Agent;
  private readonly attempts = new WeakMap<IncomingMessage, Attempt>();
  private readonly middleware: RequestHandler;

  constructor(
    private readonly metrics: ProxyMetrics,
    options: { timeoutMs: number; maxSockets: number },
  ) {
    this.agent = new http.Agent({ keepAlive: true, maxSockets: options.maxSockets, maxFreeSockets: options.maxSockets, scheduling: 'lifo' });
    const createConnection = this.agent.createConnection.bind(this.agent);
    this.agent.createConnection = ((...args: Parameters<typeof createConnection>) => {
      metrics.connectionsOpened.inc();
      return createConnection(...args);
    }) as typeof createConnection;

    const attempts = this.attempts;
    this.middleware = createProxyMiddleware<IncomingMessage, ServerResponse>({
      router: (req, _res, options) => {
        const attempt = attempts.get(req)!;
        if (attempt.body) options.buffer = attempt.body;
        return attempt.target;
      },
      agent: this.agent,
      proxyTimeout: options.timeoutMs,
      selfHandleResponse: true,
      xfwd: false,
      changeOrigin: false,
      ejectPlugins: true,
      logger: { info: () => {}, warn: () => {}, error: () => {} },
      plugins: [
        (server) => {
          server.on('proxyReq', (proxyReq, req) => attempts.get(req)?.onProxyReq(proxyReq));
          server.on('proxyRes', (proxyRes, req) => attempts.get(req)?.onResponse(proxyRes));
          server.on('error', (err, req) => attempts.get(req as IncomingMessage)?.onError(err));
          server.on('econnreset', (err, req) => attempts.get(req)?.onError(err));
        },
      ],
    });
  }

  forward(req: IncomingMessage, res: ServerResponse, target: URL, options: ForwardOptions): Promise<void> {
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
        settle(new UpstreamFailure('client_aborted', 'the client closed the connection'));
      };
      res.once('close', onClientClose);
      options.body?.once('error', (err) => {
        proxyReq?.destroy();
        settle(new UpstreamFailure('body_too_large', err.message));
      });

      this.attempts.set(req, {
        target,
        body: options.body,
        onProxyReq: (p) => {
          proxyReq = p;
          p.once('timeout', () => {
            timedOut = true;
          });
        },
        onResponse: (proxyRes) => {
          if (settled) {
            proxyRes.resume();
            return;
          }
          const status = proxyRes.statusCode ?? 502;
          this.metrics.upstreamDuration.observe({ service: options.servedBy }, (performance.now() - started) / 1000);
          if (status >= 500 && options.failOnServerError) {
            proxyRes.resume();
            settle(new UpstreamFailure('server_error', `${options.servedBy} answered ${status}`));
            return;
          }
          const ownCookie = res.getHeader('set-cookie');
          for (const [name, value] of Object.entries(downstreamResponseHeaders(proxyRes.headers))) res.setHeader(name, value!);
          if (ownCookie !== undefined) {
            const theirs = proxyRes.headers['set-cookie'] ?? [];
            res.setHeader('set-cookie', [...theirs, ...(Array.isArray(ownCookie) ? ownCookie.map(String) : [String(ownCookie)])]);
          }
          res.setHeader('x-served-by', options.servedBy);
          res.writeHead(status, proxyRes.statusMessage);
          proxyRes.pipe(res);
          // A 5xx passed on still counts against the instance's breaker.
          settle(status >= 500 ? new UpstreamFailure('server_error', `${options.servedBy} answered ${status}`, true) : undefined);
        },
        onError: (err) => {
          const code = (err as NodeJS.ErrnoException).code;
          settle(new UpstreamFailure(timedOut ? 'timeout' : 'connect_error', `${options.servedBy}: ${code ?? err.message}`));
        },
      });
      void this.middleware(req, res, (err?: unknown) => {
        if (err) settle(new UpstreamFailure('connect_error', `${options.servedBy}: ${err instanceof Error ? err.message : String(err)}`));
      });
    });
  }

  /** Fire-and-forget copy of a safe request (shadow stage); the answer is read and dropped. */
  mirror(req: IncomingMessage, target: URL, onOutcome: (outcome: 'ok' | 'error') => void): void {
    const copy = http.request(new URL(req.url ?? '/', target), { method: req.method, headers: { ...req.headers }, agent: this.agent, timeout: 5000 }, (answer) => {
      answer.resume();
      onOutcome((answer.statusCode ?? 500) < 500 ? 'ok' : 'error');
    });
    copy.on('timeout', () => copy.destroy(new Error('timeout')));
    copy.on('error', () => onOutcome('error'));
    copy.end();
  }

  close(): void {
    this.agent.destroy();
  }
}

