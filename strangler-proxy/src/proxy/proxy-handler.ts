import type { IncomingMessage, ServerResponse } from 'node:http';
import { Transform } from 'node:stream';
import { contextFromHeaders, type Logger } from '@strangler/platform';
import type { FlagReader } from '../flags/flag-reader.js';
import { decide, SAFE_METHODS, type Decision } from '../routing/decide.js';
import { normalisePath } from '../routing/normalise-path.js';
import type { RouteEntry, RouteTable } from '../routing/route-table.js';
import type { ProxyMetrics } from '../upstreams/metrics.js';
import type { TrafficSplit } from '../upstreams/traffic-split.js';
import { UpstreamFailure, type UpstreamInstance, type UpstreamPool } from '../upstreams/upstream-pool.js';
import type { Forwarder } from './forwarder.js';
import { upstreamRequestHeaders } from './headers.js';
import { identify } from './identity.js';
import { tokenProblemMessage, type AccessTokenVerifier } from '../edge/access-token.js';
import { matchesRule, type PathRule } from '../edge/path-rules.js';
import type { RateLimits } from '../edge/rate-limit.js';

export const PROXY_NAME = 'strangler-proxy';

export interface ProxyDeps {
  routes: RouteTable;
  flags: FlagReader;
  monolith: UpstreamPool;
  /** Extracted services by name. */
  services: Map<string, UpstreamPool>;
  forwarder: Forwarder;
  metrics: ProxyMetrics;
  logger: Logger;
  maxBodyBytes: number;
  retryAfterSeconds: number;
  jwtSecret?: string;
  /** Verifies access tokens at the edge (with JWT_SECRET). */
  verifier?: AccessTokenVerifier;
  /** Routes that need a valid access token. */
  authRules?: PathRule[];
  rateLimits?: RateLimits;
  /** Per domain, who served its requests over the last minute (the admin API's status). */
  split?: TrafficSplit;
}

function hasBody(req: IncomingMessage): boolean {
  return req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0');
}

function sendError(res: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const correlationId = String(res.getHeader('x-request-id') ?? 'none');
  const body = JSON.stringify({ error: { code, message, correlationId } });
  res.statusCode = status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('content-length', Buffer.byteLength(body));
  res.setHeader('x-served-by', PROXY_NAME);
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  res.end(body);
}

/** Counts a chunked body's bytes on its way to the upstream and fails past the limit. */
function bodyLimiter(limit: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      seen += chunk.length;
      if (seen > limit) callback(new Error(`the request body exceeds ${limit} bytes`));
      else callback(null, chunk);
    },
  });
}

/**
 * The proxy's request handler: normalise, match, decide with the flags, forward with breakers.
 * A failing new service never costs a safe request (the monolith serves it) and never gets an
 * unsafe request replayed elsewhere (503 with Retry-After instead).
 */
export function createProxyHandler(deps: ProxyDeps) {
  const monolithName = deps.monolith.service;

  async function attempt(instance: UpstreamInstance, req: IncomingMessage, res: ServerResponse, servedBy: string, failOnServerError: boolean, body: Transform | undefined): Promise<UpstreamFailure | undefined> {
    const started = performance.now();
    let failure: UpstreamFailure | undefined;
    try {
      await instance.breaker.fire(() => deps.forwarder.forward(req, res, instance.target, { servedBy, failOnServerError, body }));
    } catch (err) {
      if (err instanceof UpstreamFailure) failure = err;
      else if ((err as { code?: string }).code === 'EOPENBREAKER') failure = new UpstreamFailure('breaker_open', `the breaker of ${instance.target.host} is open`);
      else failure = new UpstreamFailure('connect_error', err instanceof Error ? err.message : String(err));
    }
    if (failure?.reason !== 'breaker_open' && failure?.reason !== 'client_aborted') {
      instance.window.record(performance.now() - started, failure !== undefined && failure.reason !== 'body_too_large');
    }
    return failure;
  }

  /** Ends the request when a failure needs no further attempt; returns true when it did. */
  function finished(failure: UpstreamFailure | undefined, res: ServerResponse): boolean {
    if (!failure || failure.delivered || failure.reason === 'client_aborted') return true;
    if (failure.reason === 'body_too_large') {
      sendError(res, 413, 'payload_too_large', `The request body exceeds the limit of ${deps.maxBodyBytes} bytes`, { connection: 'close' });
      return true;
    }
    return false;
  }

  async function serveLegacy(req: IncomingMessage, res: ServerResponse, body: Transform | undefined): Promise<void> {
    const first = await attempt(deps.monolith.pickAny(), req, res, monolithName, false, body);
    if (finished(first, res)) return;
    // A safe request without a body can be retried once (a stale keep-alive socket, another instance).
    const retry = SAFE_METHODS.has(req.method ?? '') && !hasBody(req) && first!.reason !== 'breaker_open';
    const failure = retry ? await attempt(deps.monolith.pickAny(), req, res, monolithName, false, undefined) : first;
    if (finished(failure, res)) return;
    deps.logger.error('the monolith could not serve the request', { requestId: res.getHeader('x-request-id'), reason: failure!.reason, detail: failure!.message });
    const status = failure!.reason === 'timeout' ? 504 : failure!.reason === 'breaker_open' ? 503 : 502;
    sendError(res, status, failure!.reason === 'timeout' ? 'upstream_timeout' : 'upstream_unavailable', `${monolithName} did not answer`, status === 503 ? { 'retry-after': String(deps.retryAfterSeconds) } : {});
  }

  async function serveNew(route: RouteEntry, req: IncomingMessage, res: ServerResponse, body: Transform | undefined): Promise<void> {
    const service = route.service;
    // Only a domain with a service can send a request to the new side; a domain without one stays at legacy.
    if (!service) return serveLegacy(req, res, body);
    const pool = deps.services.get(service);
    const canFallBack = SAFE_METHODS.has(req.method ?? '') && !hasBody(req);
    const instance = pool?.pick();
    const failure = instance
      ? await attempt(instance, req, res, service, canFallBack, body)
      : new UpstreamFailure('no_instance', `no healthy instance of ${service}`);
    if (finished(failure, res)) return;
    const reason = failure!.reason;
    if (canFallBack) {
      deps.metrics.fallbacks.inc({ service: service, reason });
      deps.logger.warn('new service failed; the monolith serves the safe request', { requestId: res.getHeader('x-request-id'), upstream: service, reason, detail: failure!.message });
      await serveLegacy(req, res, undefined);
      return;
    }
    deps.metrics.rejected.inc({ service: service, reason });
    deps.logger.warn('new service failed; unsafe request not replayed', { requestId: res.getHeader('x-request-id'), upstream: service, reason, detail: failure!.message });
    sendError(res, 503, 'service_unavailable', `${service} cannot take this request now; it was not sent anywhere else. Retry later.`, {
      'retry-after': String(deps.retryAfterSeconds),
    });
  }

  const authRules = deps.authRules ?? [];

  /** Sets the rate-limit headers; answers 429 and returns false when the client is over its limit. */
  async function withinRateLimit(method: string, path: string, client: string, res: ServerResponse): Promise<boolean> {
    let decision;
    try {
      decision = await deps.rateLimits!.check(method, path, client);
    } catch (err) {
      // A limiter that cannot count lets traffic through: the services must stay reachable.
      deps.logger.warn('rate limiter unavailable; request let through', { detail: err instanceof Error ? err.message : String(err) });
      return true;
    }
    if (!decision) return true;
    for (const [name, value] of Object.entries(decision.headers)) res.setHeader(name, value);
    if (decision.allowed) return true;
    sendError(res, 429, 'rate_limited', `Too many requests; retry in ${decision.headers['retry-after']} s`);
    return false;
  }

  return async function proxy(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // Correlation as in the platform's requestContext(), without an AsyncLocalStorage scope: the
    // proxy passes the ids explicitly, and an active AsyncLocalStorage costs every promise a hook.
    const ctx = contextFromHeaders(req.headers);
    res.setHeader('x-request-id', ctx.requestId);
    res.setHeader('traceparent', ctx.traceparent);
    const te = req.headers['transfer-encoding'];
    if (te !== undefined && te.trim().toLowerCase() !== 'chunked') {
      sendError(res, 400, 'bad_request', 'Only Transfer-Encoding: chunked is accepted', { connection: 'close' });
      return;
    }
    const normalised = normalisePath(req.url ?? '');
    if (!normalised.ok) {
      sendError(res, 400, 'invalid_path', normalised.reason);
      return;
    }
    const length = req.headers['content-length'];
    if (length !== undefined && Number(length) > deps.maxBodyBytes) {
      sendError(res, 413, 'payload_too_large', `The request body exceeds the limit of ${deps.maxBodyBytes} bytes`, { connection: 'close' });
      return;
    }

    const method = req.method ?? 'GET';
    const route = deps.routes.match(method, normalised.path);
    if (deps.rateLimits || authRules.length) {
      const authorization = req.headers.authorization;
      const verified = deps.verifier && authorization ? deps.verifier.verify(authorization) : undefined;
      // Limits count before authentication, so a flood of bad tokens is limited by address.
      if (deps.rateLimits && !(await withinRateLimit(method, normalised.path, verified?.ok ? `sub:${verified.token.sub}` : `ip:${req.socket.remoteAddress ?? 'unknown'}`, res))) return;
      if (authRules.some((rule) => matchesRule(rule, method, normalised.path))) {
        const result = verified ?? (deps.verifier ? deps.verifier.verify(authorization) : ({ ok: false, problem: 'token_invalid' } as const));
        if (!result.ok) {
          sendError(res, 401, result.problem, tokenProblemMessage(result.problem), { 'www-authenticate': 'Bearer' });
          return;
        }
      }
    }
    const flagContext = identify(req, res, deps.jwtSecret);
    const decision: Decision | undefined = route ? decide(route, method, deps.flags, flagContext) : undefined;

    req.url = normalised.path + normalised.search;
    upstreamRequestHeaders(req, ctx.requestId, ctx.traceparent);
    const body = te !== undefined ? req.pipe(bodyLimiter(deps.maxBodyBytes)) : undefined;
    // The limiter reports through the forward; this listener only keeps an early error from throwing.
    body?.on('error', () => {});

    const side = decision?.side ?? 'legacy';
    res.once('finish', () => {
      const servedBy = String(res.getHeader('x-served-by') ?? PROXY_NAME);
      deps.metrics.requests.inc({ served_by: servedBy, domain: route?.domain ?? 'none', stage: decision?.stage ?? 'legacy', side });
      if (route && deps.split) {
        if (servedBy === route.service) deps.split.served(route.domain, 'new');
        else if (servedBy === monolithName) deps.split.served(route.domain, 'legacy');
      } else if (!route) deps.split?.unclaimed(method, normalised.path);
    });

    if (route && decision?.mirror) {
      const target = route.service ? deps.services.get(route.service)?.pick() : undefined;
      if (target) {
        deps.forwarder.mirror(req, target.target, (outcome) => deps.metrics.mirrors.inc({ service: route.service, outcome }));
        deps.split?.mirrored(route.domain);
      }
    }
    if (route && side === 'new') await serveNew(route, req, res, body);
    else await serveLegacy(req, res, body);
  };
}
