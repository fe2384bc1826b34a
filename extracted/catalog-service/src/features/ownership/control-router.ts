import { AppError, ConflictError, NotFoundError, requireControlToken, ServiceUnavailableError, ValidationError } from '@strangler/platform';
import { Router, type Request } from 'express';
import { z } from 'zod';
import { OWNERS, type PgOwnershipStore } from './ownership-store.js';

/** The domains whose writes this service can own. */
const DOMAINS = ['catalog'];

const PutOwnershipBody = z.object({ owner: z.enum(OWNERS), expectedEpoch: z.number().int().min(0) }).strict();
const PutMonolithWriterBody = z.object({ owner: z.enum(OWNERS) }).strict();

/**
 * The internal control API (docs/adr/0022), on the service's own port only (the proxy blocks
 * `/internal` on the public URL):
 * - `GET /internal/ownership/catalog` → `{ domain, owner, epoch, changedAt }`
 * - `PUT /internal/ownership/catalog` `{ owner, expectedEpoch }` → the new record (epoch + 1), or
 *   409 `epoch_mismatch` when the epoch is not `expectedEpoch`.
 * - `GET|PUT /internal/ownership/catalog/monolith` `{ owner }`: the write guard of the monolith's
 *   database (ADR-0032), relayed to the reverse sync (REVERSE_SYNC_URL), which alone reaches that
 *   database; the answer carries the monolith's WAL position read after the change.
 */
export function controlRouter(options: { token: string | undefined; ownership: PgOwnershipStore; reverseSyncUrl?: string; relayTimeoutMs?: number }): Router {
  const router = Router();
  router.use('/internal', requireControlToken(options.token));
  const domainOf = (req: Request): string => {
    const domain = String(req.params.domain);
    if (!DOMAINS.includes(domain)) throw new NotFoundError(`No ownership record for domain ${domain} (known: ${DOMAINS.join(', ')})`);
    return domain;
  };
  router.get('/internal/ownership/:domain', async (req, res) => {
    const domain = domainOf(req);
    const record = await options.ownership.get(domain);
    if (!record) throw new NotFoundError(`No ownership record for domain ${domain}: are the service's migrations applied?`);
    res.json(record);
  });
  router.put('/internal/ownership/:domain', async (req, res) => {
    const domain = domainOf(req);
    const parsed = PutOwnershipBody.safeParse(req.body ?? {});
    if (!parsed.success) throw ValidationError.fromZod(parsed.error, 'body');
    const result = await options.ownership.set(domain, parsed.data.owner, parsed.data.expectedEpoch);
    if (!result) throw new NotFoundError(`No ownership record for domain ${domain}: are the service's migrations applied?`);
    if ('mismatch' in result) {
      throw new ConflictError(`The ownership of ${domain} is at epoch ${result.mismatch.epoch}, not ${parsed.data.expectedEpoch}: read it again`, 'epoch_mismatch', {
        current: result.mismatch,
      });
    }
    res.json(result.changed);
  });
  const relay = async (req: Request, method: 'GET' | 'PUT', body?: unknown) => {
    const domain = domainOf(req);
    if (!options.reverseSyncUrl) throw new ServiceUnavailableError(`The monolith's write guard of ${domain} cannot be reached: REVERSE_SYNC_URL is not set`);
    let res: globalThis.Response;
    try {
      res = await fetch(new URL(`/internal/write-owner/${encodeURIComponent(domain)}`, options.reverseSyncUrl), {
        method,
        headers: { authorization: `Bearer ${options.token ?? ''}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
        signal: AbortSignal.timeout(options.relayTimeoutMs ?? 10_000),
      });
    } catch (err) {
      throw new ServiceUnavailableError(`The reverse sync at ${options.reverseSyncUrl} does not answer: ${err instanceof Error ? err.message : String(err)}`);
    }
    const answer = (await res.json().catch(() => null)) as { error?: { code?: string; message?: string } } | null;
    if (!res.ok) {
      throw new AppError(res.status >= 500 ? 502 : res.status, answer?.error?.code ?? 'reverse_sync_refused', `The reverse sync refused the monolith's write guard change: ${answer?.error?.message ?? `status ${res.status}`}`);
    }
    return answer;
  };
  router.get('/internal/ownership/:domain/monolith', async (req, res) => {
    res.json(await relay(req, 'GET'));
  });
  router.put('/internal/ownership/:domain/monolith', async (req, res) => {
    const parsed = PutMonolithWriterBody.safeParse(req.body ?? {});
    if (!parsed.success) throw ValidationError.fromZod(parsed.error, 'body');
    res.json(await relay(req, 'PUT', parsed.data));
  });
  return router;
}
