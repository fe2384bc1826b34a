import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';
import type { Registry } from 'prom-client';
import { contextFromHeaders, runWithContext, type RequestContext } from './context.js';
import { requestDurations, routeOf } from './health.js';
import { keptAnswerOf, sendKept, type Serialized } from './json-response.js';
import type { Logger } from './logger.js';
import { COMMIT_LSN_HEADER, CONSISTENCY_TOKEN_COOKIE, CONSISTENCY_TOKEN_HEADER } from './lsn.js';

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);
const STARTED = Symbol('request started');
const WRITE = Symbol('write context');
const ROUTE = Symbol('route answered by the fast lane');
const LANE = Symbol('fast lane key and version');

interface ScopedResponse extends ServerResponse {
  [STARTED]: number;
  [WRITE]?: RequestContext;
  [ROUTE]?: string;
  [LANE]?: { url: string; version: number };
}

/**
 * The fast lane of a service (ADR-0036): which routes' answers it may send again without Express,
 * and how it learns that they may have changed.
 */
export interface FastLaneOptions {
  /**
   * Route templates (as the metrics name them, `/api/products/:id`) of GET routes without auth whose
   * answer depends on nothing but the request's URL and the data behind `version`.
   */
  routes: readonly string[];
  /**
   * A number that changes before any answer of these routes may change (a cache's invalidation
   * count): an answer kept at one version is sent again only while it is still the version.
   */
  version: () => number;
  /** How many URLs it keeps answers for (default 10,000; when full it starts again empty). */
  maxEntries?: number;
}

interface Lane {
  answers: Map<string, { answer: Serialized; route: string }>;
  version: number;
  options: FastLaneOptions;
  routes: Set<string>;
}

/**
 * What every request of a service goes through: its request context (read or created `x-request-id`
 * and `traceparent`, echoed), its duration in the HTTP metrics, and for a write one log line, "write
 * served" (method, route template, status, duration, request and trace ids), so that a write can be
 * followed from the proxy through this process into CDC (ADR-0026). Reads are counted by the
 * metrics, not logged: they are most of the traffic. One 'finish' listener shared by every request,
 * nothing allocated per request but the context: it runs for every request, so it must cost next to
 * nothing.
 *
 * With a fast lane (ADR-0036), `answer` sends a GET of a lane route the kept bytes that the same URL
 * was last answered with, as long as the lane's version says they are still current, without
 * Express: the same context, headers, metrics and bytes; everything else goes to `middleware`.
 */
export class RequestScope {
  private readonly lane: Lane | undefined;

  constructor(options: { logger: Logger; registry: Registry; fastLane?: FastLaneOptions }) {
    const fastLane = options.fastLane;
    this.lane = fastLane && { answers: new Map(), version: fastLane.version(), options: fastLane, routes: new Set(fastLane.routes) };
    const { logger } = options;
    const observe = requestDurations(options.registry);
    const keep = (noted: { url: string; version: number }, route: string, res: ServerResponse) => this.keep(noted, route, res);
    this.finished = function finished(this: ScopedResponse): void {
      const req = this.req as Parameters<typeof routeOf>[0];
      const durationMs = performance.now() - this[STARTED];
      const route = this[ROUTE] ?? routeOf(req);
      observe(req.method, this.statusCode, route, durationMs / 1000);
      // Taken when the request came in: the 'finish' event does not run in the request's context.
      const ctx = this[WRITE];
      if (ctx) {
        logger.info('write served', { requestId: ctx.requestId, traceId: ctx.traceId, method: req.method, route, status: this.statusCode, durationMs: Math.round(durationMs * 10) / 10 });
      }
      const noted = this[LANE];
      if (noted) keep(noted, route, this);
    };
  }

  /** The Express middleware: enters the scope and runs the rest of the request inside its context. */
  readonly middleware: RequestHandler = (req, res, next) => {
    const ctx = this.enter(req, res as unknown as ScopedResponse);
    runWithContext(ctx, next);
  };

  /**
   * Answers the request from the fast lane if it can (true), before Express sees it; else notes the
   * URL and the lane's version on the response (false), so that the answer the normal path sends
   * can be kept when the request finishes.
   */
  answer(req: IncomingMessage, res: ServerResponse): boolean {
    const lane = this.lane;
    if (!lane || req.method !== 'GET' || mayChangeTheAnswer(req)) return false;
    const version = lane.options.version();
    if (version !== lane.version) {
      lane.answers.clear();
      lane.version = version;
    }
    const url = req.url ?? '';
    const kept = lane.answers.get(url);
    const scoped = res as ScopedResponse;
    if (!kept) {
      scoped[LANE] = { url, version };
      return false;
    }
    // Nothing of this request runs after `sendKept` returns but 'finish', which runs outside any
    // request's context: the context is created and echoed, not entered.
    this.enter(req, scoped);
    scoped[ROUTE] = kept.route;
    sendKept(res, kept.answer);
    return true;
  }

  private enter(req: IncomingMessage, res: ScopedResponse): RequestContext {
    const ctx = contextFromHeaders(req.headers);
    res.setHeader('x-request-id', ctx.requestId);
    res.setHeader('traceparent', ctx.traceparent);
    res[STARTED] = performance.now();
    if (!SAFE.has(req.method ?? '')) res[WRITE] = ctx;
    res.on('finish', this.finished);
    return ctx;
  }

  /** The one 'finish' listener of every response (a function of its own: 'finish' passes no argument). */
  private readonly finished: (this: ScopedResponse) => void;
  /** Keeps the answer the normal path sent, if nothing may have changed since the request came in. */
  private keep(noted: { url: string; version: number }, route: string, res: ServerResponse): void {
    const lane = this.lane!;
    const answer = keptAnswerOf(res);
    if (!answer || res.statusCode !== 200 || !lane.routes.has(route) || noted.version !== lane.version || noted.version !== lane.options.version()) return;
    // Only what the lane sends again: the request id, the trace, and sendJson's own headers. A
    // response that carried another header (set by its route) is not repeated without it.
    if (res.getHeaderNames().length !== (answer.etag ? 5 : 4)) return;
    if (lane.answers.size >= (lane.options.maxEntries ?? 10_000)) lane.answers.clear();
    lane.answers.set(noted.url, { answer, route });
  }
}

/**
 * A request whose headers can change its answer, which the lane does not look at: a conditional
 * request (a 304), one with a body (the normal path parses it, and refuses a malformed one), or one
 * carrying a consistency token (header or cookie) or a commit position (read-your-writes, ADR-0021),
 * which a kept answer cannot prove it satisfies. These take the normal path.
 */
function mayChangeTheAnswer(req: IncomingMessage): boolean {
  const h = req.headers;
  return (
    h['if-none-match'] !== undefined ||
    h['content-length'] !== undefined ||
    h['transfer-encoding'] !== undefined ||
    h['if-modified-since'] !== undefined ||
    h[CONSISTENCY_TOKEN_HEADER] !== undefined ||
    h[COMMIT_LSN_HEADER] !== undefined ||
    (h.cookie !== undefined && h.cookie.includes(`${CONSISTENCY_TOKEN_COOKIE}=`))
  );
}
