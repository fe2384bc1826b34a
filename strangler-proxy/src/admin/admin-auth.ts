import { createHash, timingSafeEqual } from 'node:crypto';
import { UnauthorizedError } from '@strangler/platform';
import type { RequestHandler } from 'express';

/** Who called the admin API: the name of the admin token used (recorded as the audit log's actor). */
export interface AdminIdentity {
  actor: string;
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * `ADMIN_TOKENS=ana=<token>,bo=<token>` names one token per person; `ADMIN_TOKEN=<token>` is one
 * token named `admin`. Tokens shorter than 16 characters are refused by the config.
 */
export function parseAdminTokens(single: string | undefined, named: string | undefined): Map<string, string> {
  const tokens = new Map<string, string>();
  if (single) tokens.set(single, 'admin');
  for (const pair of (named ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    const at = pair.indexOf('=');
    tokens.set(pair.slice(at + 1), pair.slice(0, at));
  }
  return tokens;
}

/** The name of the admin token given, or undefined: compared as SHA-256 digests in constant time. */
export function tokenActors(tokens: Map<string, string>): (given: string) => string | undefined {
  const known = [...tokens].map(([token, actor]) => ({ hash: digest(token), actor }));
  return (given) => {
    const hash = digest(given);
    let actor: string | undefined;
    for (const k of known) if (timingSafeEqual(k.hash, hash)) actor = k.actor;
    return actor;
  };
}

/**
 * Requires `Authorization: Bearer <admin token>` and puts the token's name in `res.locals.admin`.
 * Tokens are compared as SHA-256 digests in constant time; a token never reaches a log.
 */
export function requireAdminToken(tokens: Map<string, string>): RequestHandler {
  const actorOf = tokenActors(tokens);
  return (req, res, next) => {
    const header = req.headers.authorization;
    if (!header) return next(new UnauthorizedError('The admin API needs Authorization: Bearer <admin token>', 'admin_token_missing'));
    const actor = actorOf(header.startsWith('Bearer ') ? header.slice(7).trim() : header.trim());
    if (!actor) return next(new UnauthorizedError('The admin token is not valid', 'admin_token_invalid'));
    res.locals.admin = { actor } satisfies AdminIdentity;
    next();
  };
}
