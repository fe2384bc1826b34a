import { Router } from 'express';
import { z } from 'zod';
import { NotFoundError, ServiceUnavailableError, ValidationError } from '@strangler/platform';
import type { AuditLog } from '../audit/audit-log.js';
import type { DiffReport } from '../compare/compare-store.js';
import type { AdminIdentity } from './admin-auth.js';
import type { FlipService } from './flip-service.js';
import type { ProxyStatus } from './status.js';

export const flipBody = z
  .object({
    stage: z.string().min(1),
    percentage: z.number().int().min(0).max(100).optional(),
    adr: z.number().int().positive().optional(),
    reason: z.string().max(1000).optional(),
    force: z.boolean().optional(),
  })
  .strict();
export const rollbackBody = z.object({ reason: z.string().max(1000).optional() }).strict();
const diffsQuery = z.object({ window: z.coerce.number().int().min(1).max(7 * 24 * 60).default(60) }).strict();
const auditQuery = z.object({ domain: z.string().optional(), limit: z.coerce.number().int().min(1).max(1000).optional() });

export function parse<T>(schema: z.ZodType<T>, value: unknown, location: string): T {
  const result = schema.safeParse(value ?? {});
  if (!result.success) throw ValidationError.fromZod(result.error, location);
  return result.data;
}

export interface AdminApiDeps {
  status(): ProxyStatus;
  /** Undefined when the proxy has no database or no Unleash admin token: flips are then refused. */
  flips?: FlipService;
  audit?: AuditLog;
  /** Answer comparisons of a domain over the last `windowMinutes` (needs PROXY_DATABASE_URL). */
  diffs?: (domain: string, windowMinutes: number) => Promise<DiffReport>;
  /** The known domains (a diffs request for another one is a 404). */
  domains?: string[];
}

/** The admin API (behind the admin token): status, flip, rollback, audit log. */
export function adminRouter(deps: AdminApiDeps): Router {
  const router = Router();
  const flips = () => deps.flips ?? (() => { throw new ServiceUnavailableError('flips need PROXY_DATABASE_URL and UNLEASH_ADMIN_TOKEN on this proxy'); })();
  const audit = () => deps.audit ?? (() => { throw new ServiceUnavailableError('the audit log needs PROXY_DATABASE_URL on this proxy'); })();
  const actor = (locals: Record<string, unknown>) => (locals.admin as AdminIdentity).actor;

  router.get('/domains', (_req, res) => {
    res.json(deps.status());
  });
  router.post('/domains/:domain/flip', async (req, res) => {
    const body = parse(flipBody, req.body, 'body');
    res.json(await flips().flip(req.params.domain, body, actor(res.locals)));
  });
  router.post('/domains/:domain/rollback', async (req, res) => {
    const body = parse(rollbackBody, req.body, 'body');
    res.json(await flips().rollback(req.params.domain, actor(res.locals), body.reason));
  });
  router.post('/domains/:domain/fence/lift', async (req, res) => {
    parse(z.object({}).strict(), req.body, 'body');
    res.json(await flips().liftFence(req.params.domain, actor(res.locals)));
  });
  router.get('/domains/:domain/diffs', async (req, res) => {
    const query = parse(diffsQuery, req.query, 'query');
    const domain = req.params.domain;
    if (deps.domains && !deps.domains.includes(domain)) throw new NotFoundError(`unknown domain "${domain}" (known: ${deps.domains.join(', ')})`, 'unknown_domain');
    if (!deps.diffs) throw new ServiceUnavailableError('answer comparisons need PROXY_DATABASE_URL on this proxy');
    res.json(await deps.diffs(domain, query.window));
  });
  router.get('/audit', async (req, res) => {
    const query = parse(auditQuery, req.query, 'query');
    res.json({ entries: await audit().list(query) });
  });
  return router;
}
