import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { UnauthorizedError } from './errors.js';

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

/**
 * Express middleware for an internal control API (ADR-0022, ADR-0025): `Authorization: Bearer <token>`
 * compared in constant time (hashes of equal length). Without a configured token every call is
 * refused, so a control API is never open by omission.
 */
export function requireControlToken(token: string | undefined, setting = 'SERVICE_CONTROL_TOKEN') {
  const expected = token === undefined ? undefined : digest(token);
  return (req: Request, _res: Response, next: NextFunction) => {
    if (!expected) throw new UnauthorizedError(`The control API is disabled: ${setting} is not set`, 'token_missing');
    const match = /^Bearer +(\S+)$/i.exec(req.headers.authorization ?? '');
    if (!match) throw new UnauthorizedError('Missing bearer token', 'token_missing');
    if (!timingSafeEqual(digest(match[1]!), expected)) throw new UnauthorizedError('Token is invalid', 'token_invalid');
    next();
  };
}
