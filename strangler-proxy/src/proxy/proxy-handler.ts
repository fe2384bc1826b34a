import type { IncomingMessage, ServerResponse } from 'node:http';
import { AppError, contextFromHeaders, tokenProblemMessage, type Logger, type TokenCheck } from '@strangler/platform';
import type { Admission, WriteFence } from '../cutover/write-fence.js';
import type { FlagReader } from '../flags/flag-reader.js';
import { decide, SAFE_METHODS, type Decision } from '../routing/decide.js';
import { normalisePath } from '../routing/normalise-path.js';
import type { RouteEntry, RouteTable } from '../routing/route-table.js';
import type { ProxyMetrics } from '../upstreams/metrics.js';
import type { TrafficSplit } from '../upstreams/traffic-split.js';
import { UpstreamFailure, type UpstreamInstance, type UpstreamPool } from '../upstreams/upstream-pool.js';
import type { Forwarder } from './forwarder.js';
import { declaresBody, framingProblem, upstreamRequestHeaders } from './headers.js';
import { identify } from './identity.js';
import { readBody } from './read-body.js';
import type { EdgeTokens } from '../edge/access-token.js';
import { matchesAnyRule, type PathRule } from '../edge/path-rules.js';
import { accountKey, type RateLimits } from '../edge/rate-limit.js';
import type { ReadYourWrites } from '../consistency/read-your-writes.js';
import type { Comparator, PendingComparison } from '../compare/comparator.js';

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
  /** How long a client may take to send its body. */
  bodyTimeoutMs: number;
  retryAfterSeconds: number;
  /** Verifies access tokens at the edge (with JWT_PUBLIC_KEY). */
  tokens?: EdgeTokens;
  /** Routes that need a valid access token. */
  authRules?: PathRule[];
  /** Upstream paths never served through the stable URL (operational endpoints). */
  blockedPaths?: PathRule[];
  rateLimits?: RateLimits;
  /** Per domain, who served its requests over the last minute (the admin API's status). */
  split?: TrafficSplit;
  /** Read-your-writes with consistency tokens (ADR-0021). */
  consistency?: ReadYourWrites;
  /** Answer comparison (ADR-0023). */
  compare?: Comparator;
  /** Each answer of a domain's route, by side (the guards' windows, ADR-0023). */
  observe?: (domain: string, side: 'legacy' | 'new', durationMs: number, failed: boolean) => void;
  /** Where writes of ownable domains go, and the fence of their cutovers (ADR-0025). */
  writeFence?: WriteFence;
}

/** What the attempts of one request need to know about it: its domain, and its comparison if any. */
interface Exchange {
  domain: string;
  comparison: PendingComparison | undefined;
}

/** The request's exchange, kept on the request itself (not a WeakMap entry per request). */
const EXCHANGE = Symbol('strangler-proxy.exchange');
type WithExchange = IncomingMessage & { [EXCHANGE]?: Exchange };

/** Methods whose forwarded request always states its length, even when empty (so Node does not pick chunked framing). */
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

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

/** The account a sign-in names (the `email` of its JSON body), for limits counted per account. */
function accountOf(body: Buffer | undefined): string | undefined {
  if (!body?.length || body.length > 4096) return undefined;
  try {
    const email: unknown = (JSON.parse(body.toString('utf8')) as { email?: unknown } | null)?.email;
    return typeof email === 'string' && email.length > 0 && email.length <= 320 ? accountKey(email) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The proxy's request handler: normalise, match, decide with the flags, forward with breakers.
 * A failing new service never costs a safe request (the monolith serves it) and never gets an
 * unsafe request replayed elsewhere (503 with Retry-After instead).
 */
export function createProxyHandler(deps: ProxyDeps) {
  const monolithName = deps.monolith.service;
  // proxy_requests_total's children by their labels, looked up once each (prom-client hashes the label object on every inc otherwise).
  const requestCounters = new Map<string, ReturnType<ProxyMetrics['requests']['labels']>>();
  function countRequest(servedBy: string, domain: string, stage: string, side: string): void {
    const key = `${servedBy}\u0000${domain}\u0000${stage}\u0000${side}`;
    let child = requestCounters.get(key);
    if (!child) requestCounters.set(key, (child = deps.metrics.requests.labels(servedBy, domain, stage, side)));
    child.inc();
  }

  async function attempt(instance: UpstreamInstance, req: IncomingMessage, res: ServerResponse, servedBy: string, failOnServerError: boolean, body: Buffer | undefined): Promise<UpstreamFailure | undefined> {
    const started = performance.now();
    let failure: UpstreamFailure | undefined;
    const exchange = (req as WithExchange)[EXCHANGE];
    const side = servedBy === monolithName ? 'legacy' : 'new';
    const comparison = exchange?.comparison;
    const tap = comparison ? (answer: IncomingMessage, at: number) => comparison.tap(answer, side, at) : undefined;
    try {
      await instance.breaker.fire(() => deps.forwarder.forward(req, res, instance.target, { servedBy, failOnServerError, body, tap }));
    } catch (err) {
      if (err instanceof UpstreamFailure) failure = err;
      else if ((err as { code?: string }).code === 'EOPENBREAKER') failure = new UpstreamFailure('breaker_open', `the breaker of ${instance.target.host} is open`);
      else failure = new UpstreamFailure('connect_error', err instanceof Error ? err.message : String(err));
    }
    if (failure?.reason !== 'breaker_open' && failure?.reason !== 'client_aborted' && failure?.reason !== 'queue_timeout') {
      instance.window.record(performance.now() - started, failure !== undefined);
    }
    if (exchange && deps.observe && failure?.reason !== 'client_aborted' && failure?.reason !== 'queue_timeout') {
      deps.observe(exchange.domain, side, performance.now() - started, failure !== undefined);
    }
    return failure;
  }

  /** Whether the request is over: answered, or its client gone. */
  function finished(failure: UpstreamFailure | undefined): boolean {
    return !failure || failure.delivered || failure.reason === 'client_aborted';
  }

  async function serveLegacy(req: IncomingMessage, res: ServerResponse, body: Buffer | undefined): Promise<void> {
    const first = await attempt(deps.monolith.pickAny(), req, res, monolithName, false, body);
    if (finished(first)) return;
    // A safe request without a body can be retried once (a stale keep-alive socket, another instance).
    const retry = SAFE_METHODS.has(req.method ?? '') && !body && first!.reason !== 'breaker_open' && first!.reason !== 'queue_timeout';
    const failure = retry ? await attempt(deps.monolith.pickAny(), req, res, monolithName, false, undefined) : first;
    if (finished(failure)) return;
    deps.logger.error('the monolith could not serve the request', { requestId: res.getHeader('x-request-id'), reason: failure!.reason, detail: failure!.message });
    const reason = failure!.reason;
    if (reason === 'queue_timeout') {
      sendError(res, 503, 'upstream_busy', `${monolithName} has no free connection now; retry later`, { 'retry-after': String(deps.retryAfterSeconds) });
      return;
    }
    const status = reason === 'timeout' ? 504 : reason === 'breaker_open' ? 503 : 502;
    sendError(res, status, reason === 'timeout' ? 'upstream_timeout' : 'upstream_unavailable', `${monolithName} did not answer`, status === 503 ? { 'retry-after': String(deps.retryAfterSeconds) } : {});
  }

  async function serveNew(route: RouteEntry, req: IncomingMessage, res: ServerResponse, body: Buffer | undefined): Promise<void> {
    const service = route.service;
    // Only a domain with a service can send a request to the new side; a domain without one stays at legacy.
    if (!service) return serveLegacy(req, res, body);
    const pool = deps.services.get(service);
    const canFallBack = SAFE_METHODS.has(req.method ?? '') && !body;
    const instance = pool?.pick();
    const failure = instance
      ? await attempt(instance, req, res, service, canFallBack, body)
      : new UpstreamFailure('no_instance', `no healthy instance of ${service}`);
    if (finished(failure)) return;
    const reason = failure!.reason;
    if (canFallBack) {
      deps.metrics.fallbacks.inc({ service, reason });
      deps.logger.warn('new service failed; the monolith serves the safe request', { requestId: res.getHeader('x-request-id'), upstream: service, reason, detail: failure!.message });
      await serveLegacy(req, res, undefined);
      return;
    }
    deps.metrics.rejected.inc({ service, reason });
    deps.logger.warn('new service failed; unsafe request not replayed', { requestId: res.getHeader('x-request-id'), upstream: service, reason, detail: failure!.message });
    sendError(res, 503, 'service_unavailable', `${service} cannot take this request now; it was not sent anywhere else. Retry later.`, {
      'retry-after': String(deps.retryAfterSeconds),
    });
  }

  const authRules = deps.authRules ?? [];
  const blockedPaths = deps.blockedPaths ?? [];

  /**
   * Connections whose framing could not be trusted: requests already parsed behind the refused one on
   * the same connection (pipelined) are dropped unanswered, never forwarded.
   */
  const distrusted = new WeakSet<object>();

  /** Refuses a request at the edge: it reaches no upstream. A request with an unread body loses its connection too. */
  function refuse(req: IncomingMessage, res: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
    deps.metrics.refused.inc({ reason: code });
    sendError(res, status, code, message, declaresBody(req) ? { ...headers, connection: 'close' } : headers);
  }

  /** Sets the rate-limit headers; answers 429 and returns false when the client is over its limit. */
  async function withinRateLimit(method: string, lowerPath: string, keys: Parameters<RateLimits['check']>[2], req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    let decision;
    try {
      decision = await deps.rateLimits!.check(method, lowerPath, keys);
    } catch (err) {
      // A limiter that cannot count lets traffic through: the services must stay reachable.
      deps.logger.warn('rate limiter unavailable; request let through', { detail: err instanceof Error ? err.message : String(err) });
      return true;
    }
    if (!decision) return true;
    for (const [name, value] of Object.entries(decision.headers)) res.setHeader(name, value);
    if (decision.allowed) return true;
    refuse(req, res, 429, 'rate_limited', `Too many requests; retry in ${decision.headers['retry-after']} s`);
    return false;
  }

  return async function proxy(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // Correlation as in the platform's requestContext(), without an AsyncLocalStorage scope: the
    // proxy passes the ids explicitly, and an active AsyncLocalStorage costs every promise a hook.
    const ctx = contextFromHeaders(req.headers);
    res.setHeader('x-request-id', ctx.requestId);
    res.setHeader('traceparent', ctx.traceparent);
    if (distrusted.has(req.socket)) {
      res.destroy();
      return;
    }
    const framing = framingProblem(req);
    if (framing) {
      distrusted.add(req.socket);
      refuse(req, res, 400, framing.code, framing.message, { connection: 'close' });
      return;
    }
    const normalised = normalisePath(req.url ?? '');
    if (!normalised.ok) {
      refuse(req, res, 400, 'invalid_path', normalised.reason);
      return;
    }
    const method = req.method ?? 'GET';
    const lowerPath = normalised.path.toLowerCase();
    if (matchesAnyRule(blockedPaths, method, lowerPath)) {
      refuse(req, res, 404, 'not_found', `No route for ${method} ${normalised.path}`);
      return;
    }
    const length = req.headers['content-length'];
    if (length !== undefined && Number(length) > deps.maxBodyBytes) {
      refuse(req, res, 413, 'payload_too_large', `The request body exceeds the limit of ${deps.maxBodyBytes} bytes`);
      return;
    }

    const route = deps.routes.match(method, normalised.path);
    const authorization = req.headers.authorization;
    const verified: TokenCheck | undefined = deps.tokens && authorization ? deps.tokens.check(authorization) : undefined;
    const userId = verified?.ok ? verified.claims.sub : undefined;
    const ip = req.socket.remoteAddress ?? 'unknown';
    // Limits count before authentication, so a flood of bad tokens is limited by address.
    // Checked synchronously first: most routes have no rule, and they should not pay for an await.
    const limited = deps.rateLimits && (deps.rateLimits.covers('ip', method, lowerPath) || deps.rateLimits.covers('user', method, lowerPath));
    if (limited && !(await withinRateLimit(method, lowerPath, { ip, user: userId ?? `ip:${ip}` }, req, res))) return;
    if (authRules.length && matchesAnyRule(authRules, method, lowerPath)) {
      const result: TokenCheck = verified ?? { ok: false, problem: deps.tokens ? 'token_missing' : 'token_invalid' };
      if (!result.ok) {
        refuse(req, res, 401, result.problem, tokenProblemMessage(result.problem), { 'www-authenticate': 'Bearer' });
        return;
      }
    }

    // The body is read whole before an upstream connection is taken (ADR-0016).
    let body: Buffer | undefined;
    if (declaresBody(req)) {
      const outcome = await readBody(req, deps.maxBodyBytes, deps.bodyTimeoutMs);
      if (!outcome.ok) {
        if (outcome.reason === 'too_large') refuse(req, res, 413, 'payload_too_large', `The request body exceeds the limit of ${deps.maxBodyBytes} bytes`);
        else if (outcome.reason === 'timeout') refuse(req, res, 408, 'body_timeout', `The request body did not arrive within ${deps.bodyTimeoutMs} ms`);
        else refuse(req, res, 400, 'body_incomplete', 'The request body ended before its declared length');
        return;
      }
      body = outcome.body;
      if (deps.rateLimits?.covers('account', method, lowerPath)) {
        const account = accountOf(body);
        if (account && !(await withinRateLimit(method, lowerPath, { account }, req, res))) return;
      }
    }

    const flagContext = route ? identify(req, res, userId) : undefined;
    const decision: Decision | undefined = route ? decide(route, method, deps.flags, flagContext!) : undefined;

    req.url = normalised.path + normalised.search;
    // Consistency tokens (ADR-0021): the client's token never reaches an upstream; a write's answer gets one.
    const token = deps.consistency?.takeToken(req);
    if (deps.consistency && !SAFE_METHODS.has(method)) deps.consistency.issueOnWrite(res);
    upstreamRequestHeaders(req, ctx.requestId, ctx.traceparent, body ? body.length : BODY_METHODS.has(method) ? 0 : undefined);

    let side = decision?.side ?? 'legacy';
    // A read after the client's own write goes to the new service only once its watermark has the write.
    if (route?.service && side === 'new' && deps.consistency && SAFE_METHODS.has(method)) side = await deps.consistency.sideFor(route.service, token);
    // A write of a domain that may be owned goes where the shared fence row says, and waits while a cutover holds it.
    let admission: Admission | undefined;
    if (route && deps.writeFence?.covers(route.domain) && !SAFE_METHODS.has(method)) {
      try {
        admission = await deps.writeFence.admit(route.domain);
      } catch (err) {
        if (!(err instanceof AppError)) throw err;
        deps.metrics.refused.inc({ reason: err.code });
        deps.logger.warn('write not admitted by the write fence', { requestId: ctx.requestId, domain: route.domain, code: err.code, detail: err.message });
        sendError(res, err.status, err.code, err.message, err.options.headers);
        return;
      }
      side = admission.side;
    }
    const started = SAFE_METHODS.has(method) ? 0 : performance.now();
    res.once('finish', () => {
      const servedBy = String(res.getHeader('x-served-by') ?? PROXY_NAME);
      countRequest(servedBy, route?.domain ?? 'none', decision?.stage ?? 'legacy', side);
      // One line per write, with the trace id the upstream and the CDC projection log too (ADR-0026).
      if (started > 0) {
        deps.logger.info('write forwarded', {
          requestId: ctx.requestId,
          traceId: ctx.traceId,
          method,
          route: route?.template ?? 'unclaimed',
          domain: route?.domain,
          status: res.statusCode,
          servedBy,
          durationMs: Math.round((performance.now() - started) * 10) / 10,
        });
      }
      if (route && deps.split) {
        if (servedBy === route.service) deps.split.served(route.domain, 'new');
        else if (servedBy === monolithName) deps.split.served(route.domain, 'legacy');
      } else if (!route) deps.split?.unclaimed(method, normalised.path);
    });

    const comparison = route && decision && deps.compare ? deps.compare.plan(route, method, decision.stage, decision.mirror, side, body !== undefined, ctx.traceId) : undefined;
    if (route && (deps.observe || comparison)) {
      (req as WithExchange)[EXCHANGE] = { domain: route.domain, comparison };
      if (comparison) res.once('close', () => comparison.userDone());
    }
    if (route && decision?.mirror) {
      const target = route.service ? deps.services.get(route.service)?.pick() : undefined;
      if (target) {
        deps.forwarder.mirror(req, target.target, body, (outcome) => deps.metrics.mirrors.inc({ service: route.service, outcome }), comparison?.copy('new'));
        deps.split?.mirrored(route.domain);
      } else comparison?.abandon();
    } else if (route && comparison) {
      // A sampled comparison at canary or new: a copy to the side that does not serve this user.
      const target = comparison.copySide === 'new' ? (route.service ? deps.services.get(route.service)?.pick() : undefined) : deps.monolith.pick();
      if (target) deps.forwarder.mirror(req, target.target, body, (outcome) => deps.metrics.mirrors.inc({ service: comparison.copySide === 'new' ? route.service : monolithName, outcome }), comparison.copy(comparison.copySide));
      else comparison.abandon();
    }
    if (comparison?.noise) {
      // A noise sample: the legacy side asked a second time; what differs between its two answers is noise.
      const again = deps.monolith.pick();
      if (again) deps.forwarder.mirror(req, again.target, body, (outcome) => deps.metrics.mirrors.inc({ service: monolithName, outcome }), comparison.copy('again'), true);
      else comparison.copied('again', undefined);
    }
    try {
      if (route && side === 'new') await serveNew(route, req, res, body);
      else await serveLegacy(req, res, body);
    } finally {
      // Only a write under a write fence holds an admission: no extra tick for the others.
      if (admission) await admission.release();
    }
  };
}
