import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { LoadedManifest } from '@strangler/manifests';
import { AppError, NotFoundError, requestContext, ServiceUnavailableError, type Logger } from '@strangler/platform';
import express, { Router, type Request, type RequestHandler, type Response } from 'express';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { z } from 'zod';
import { tokenActors } from '../admin/admin-auth.js';
import { flipBody, parse, rollbackBody } from '../admin/admin-router.js';
import type { FlipService } from '../admin/flip-service.js';
import { migrationMap } from '../admin/migration-map.js';
import type { ProxyStatus } from '../admin/status.js';
import type { AuditLog, AuditRecord } from '../audit/audit-log.js';
import { AdrRecords } from './adr-records.js';
import { adrPage, dashboardPage, signInPage } from './pages.js';
import { csrfMatches, SessionStore, type Session } from './sessions.js';

export interface DashboardDeps {
  /** Admin token → its name, as for the admin API. */
  tokens: Map<string, string>;
  manifests: LoadedManifest[];
  status(): ProxyStatus;
  flips?: FlipService;
  audit?: AuditLog;
  /** Why Unleash cannot be reached now, or undefined. */
  unleashUnreachable(): string | undefined;
  logger: Logger;
  adrs?: AdrRecords;
  /** How long a sign-in lasts (default 8 hours). */
  sessionTtlMs?: number;
  /** Wrong tokens allowed per client address per minute before sign-in is refused for a while (default 5). */
  signInFailuresPerMinute?: number;
}

const ASSETS: Record<string, { file: string; type: string }> = {
  'dashboard.js': { file: 'dashboard.js', type: 'text/javascript; charset=utf-8' },
  'dashboard.css': { file: 'dashboard.css', type: 'text/css; charset=utf-8' },
};
// The assets are plain files beside the sources (src/dashboard/assets), read once.
const ASSET_DIR = new URL('../../src/dashboard/assets/', import.meta.url);

const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cache-control': 'no-store',
};

const signInBody = z.object({ token: z.string().max(1000).default('') });
const audited = 200;

/**
 * The migration team's page on the admin port: `GET /` (sign-in, then the whole migration on one
 * page), `/ui/*` (its data and actions). Sign-in with an admin token gives an HttpOnly, SameSite=Strict
 * session cookie; the token never reaches the page or a URL. Every state-changing request needs the
 * session's CSRF token and must come from this origin.
 */
export function dashboardRouter(deps: DashboardDeps): Router {
  const router = Router();
  const sessions = new SessionStore(deps.sessionTtlMs ?? 8 * 3600_000);
  const actorOf = tokenActors(deps.tokens);
  const failures = new RateLimiterMemory({ points: deps.signInFailuresPerMinute ?? 5, duration: 60 });
  const adrs = deps.adrs ?? new AdrRecords();
  const assets = new Map(Object.entries(ASSETS).map(([name, a]) => [name, { ...a, body: readFileSync(fileURLToPath(new URL(a.file, ASSET_DIR))) }]));
  const stages = new Map(deps.manifests.map((m) => [m.domain, { stages: m.stages, description: m.description ?? null, file: m.file }]));

  router.use((_req, res, next) => {
    res.set(SECURITY_HEADERS);
    next();
  });

  const html = (res: Response, status: number, body: string) => res.status(status).type('html').send(body);

  router.get('/', (req, res) => {
    const session = sessions.fromCookie(req.headers.cookie);
    if (!session) return html(res, 200, signInPage({ expired: req.query.expired === '1' }));
    html(res, 200, dashboardPage({ actor: session.actor, csrfToken: session.csrfToken }));
  });

  router.post('/sign-in', express.urlencoded({ extended: false, limit: '4kb' }), async (req, res) => {
    if (!sameOrigin(req)) return html(res, 403, signInPage({ error: 'Sign-in must come from this page.' }));
    const key = req.socket.remoteAddress ?? 'unknown';
    const blocked = await failures.get(key);
    if (blocked && blocked.remainingPoints <= 0) return tooMany(res, blocked);
    if (deps.tokens.size === 0) return html(res, 503, signInPage({ error: 'The dashboard is disabled: start the proxy with ADMIN_TOKEN or ADMIN_TOKENS.' }));
    const { token } = signInBody.parse(req.body ?? {});
    const actor = token ? actorOf(token.trim()) : undefined;
    if (!actor) {
      try {
        await failures.consume(key);
      } catch (limited) {
        if (limited instanceof RateLimiterRes) return tooMany(res, limited);
        throw limited;
      }
      deps.logger.warn('dashboard sign-in with a wrong admin token', { address: key });
      return html(res, 401, signInPage({ error: token ? 'That admin token is not valid.' : 'Enter the admin token.' }));
    }
    await failures.delete(key);
    const { id } = sessions.create(actor);
    deps.logger.info('dashboard sign-in', { actor });
    res.set('set-cookie', sessions.cookie(id, req.secure)).redirect(303, '/');
  });

  function tooMany(res: Response, limit: RateLimiterRes) {
    const seconds = Math.max(1, Math.ceil(limit.msBeforeNext / 1000));
    res.set('retry-after', String(seconds));
    return html(res, 429, signInPage({ error: `Too many wrong tokens from this address. Try again in ${seconds} s.` }));
  }

  router.post('/sign-out', express.urlencoded({ extended: false, limit: '4kb' }), (req, res) => {
    const session = sessions.fromCookie(req.headers.cookie);
    if (session && sameOrigin(req) && csrfMatches(session, (req.body as { csrf?: unknown } | undefined)?.csrf)) {
      sessions.destroy(req.headers.cookie);
      deps.logger.info('dashboard sign-out', { actor: session.actor });
    }
    res.set('set-cookie', SessionStore.clearedCookie()).redirect(303, '/');
  });

  router.get('/ui/assets/:name', (req, res, next) => {
    const asset = assets.get(req.params.name);
    if (!asset) return next(new NotFoundError(`no asset ${req.params.name}`));
    res.set({ 'content-type': asset.type, 'x-content-type-options': 'nosniff', 'cache-control': 'no-cache' }).send(asset.body);
  });

  // Everything else under /ui needs a session; state changes also need its CSRF token and this origin.
  const ui = Router();
  router.use('/ui', requestContext(), ui);
  const requireSession: RequestHandler = (req, res, next) => {
    const session = sessions.fromCookie(req.headers.cookie);
    if (!session) return next(new AppError(401, 'session_expired', 'Your session has ended: sign in again'));
    res.locals.session = session;
    next();
  };
  const requireCsrf: RequestHandler = (req, res, next) => {
    if (!sameOrigin(req)) return next(new AppError(403, 'cross_site_request', 'Cross-site request refused'));
    if (!csrfMatches(res.locals.session as Session, req.headers['x-csrf-token'])) return next(new AppError(403, 'csrf_token_invalid', 'Missing or wrong CSRF token: reload the page'));
    next();
  };
  const flips = () => deps.flips ?? (() => { throw new ServiceUnavailableError('flips need PROXY_DATABASE_URL and UNLEASH_ADMIN_TOKEN on this proxy'); })();
  const actor = (res: Response) => (res.locals.session as Session).actor;

  ui.get('/state', requireSession, async (_req, res) => {
    const status = deps.status();
    let audit: { entries: AuditRecord[] } | { error: string };
    try {
      audit = deps.audit ? { entries: await deps.audit.list({ limit: audited }) } : { error: 'the audit log needs PROXY_DATABASE_URL on this proxy' };
    } catch (err) {
      audit = { error: `the proxy's database cannot be read (${err instanceof Error ? err.message : String(err)})` };
    }
    const unleash = deps.unleashUnreachable();
    res.json({
      actor: actor(res),
      at: new Date().toISOString(),
      domains: status.domains.map((d) => ({ ...d, ...stages.get(d.domain) })),
      monolith: status.monolith,
      progress: migrationMap(status).progress,
      unclaimed: status.unclaimed,
      audit,
      unleash: unleash ? { reachable: false, detail: unleash } : { reachable: true },
      flips: deps.flips ? { enabled: true } : { enabled: false, detail: 'flips need PROXY_DATABASE_URL and UNLEASH_ADMIN_TOKEN on this proxy' },
    });
  });

  ui.get('/adrs/:number', requireSession, async (req, res, next) => {
    const number = Number(req.params.number);
    const adr = Number.isInteger(number) ? await adrs.get(number) : undefined;
    if (!adr) return next(new NotFoundError(`no decision record ${req.params.number}`, 'adr_not_found'));
    if (req.accepts(['html', 'json']) === 'json') return res.json(adr);
    html(res, 200, adrPage(adr));
  });

  ui.post('/domains/:domain/flip', requireSession, requireCsrf, express.json({ limit: '16kb' }), async (req, res) => {
    const body = parse(flipBody, req.body, 'body');
    res.json(await flips().flip(String(req.params.domain), body, actor(res)));
  });
  ui.post('/domains/:domain/rollback', requireSession, requireCsrf, express.json({ limit: '16kb' }), async (req, res) => {
    const body = parse(rollbackBody, req.body, 'body');
    res.json(await flips().rollback(String(req.params.domain), actor(res), body.reason));
  });
  return router;
}

/**
 * True unless the browser says the request comes from another site: `Sec-Fetch-Site` when sent,
 * else `Origin` against the Host header. (SameSite=Strict already keeps the cookie off cross-site requests.)
 */
function sameOrigin(req: Request): boolean {
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined) return site === 'same-origin' || site === 'none';
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}
