import { createHash, timingSafeEqual } from 'node:crypto';
import { ConflictError, NotFoundError, UnauthorizedError, ValidationError } from '@strangler/platform';
import { Router, type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import { OWNERS, type PgOwnershipStore } from './ownership-store.js';

/** The domains whose writes this service can own. */
const DOMAINS = ['catalog'];

const PutOwnershipBody = z.object({ owner: z.enum(OWNERS), expectedEpoch: z.number().int().min(0) }).strict();

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** Bearer `token`, compared in constant time (hashes of equal length); without a configured token every call is refused. */
function requireControlToken(token: string | undefined) {
  const expected = token === undefined ? undefined : digest(token);
  return (req: Request, _res: Response, next: NextFunction) => {
    if (!expected) throw new UnauthorizedError('The control API is disabled: SERVICE_CONTROL_TOKEN is not set', 'token_missing');
    const match = /^Bearer +(\S+)$/i.exec(req.headers.authorization ?? '');
    if (!match) throw new UnauthorizedError('Missing bearer token', 'token_missing');
    if (!timingSafeEqual(digest(match[1]!), expected)) throw new UnauthorizedError('Token is invalid', 'token_invalid');
    next();
  };
}

/**
 * The internal control API (docs/adr/0022), on the service's own port only (the proxy blocks
 * `/internal` on the public URL):
 * - `GET /internal/ownership/catalog` → `{ domain, owner, epoch, changedAt }`
 * - `PUT /internal/ownership/catalog` `{ owner, expectedEpoch }` → the new record (epoch + 1), or
 *   409 `epoch_mismatch` when the epoch is not `expectedEpoch`.
 */
export function controlRouter(options: { token: string | undefined; ownership: PgOwnershipStore }): Router {
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
  return router;
}
