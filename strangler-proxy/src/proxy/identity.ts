import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FlagContext } from '../flags/flag-reader.js';

export const SESSION_COOKIE = 'strangler_sid';
const SESSION_VALUE = /^[A-Za-z0-9_-]{16,64}$/;
const COOKIE_PATTERN = new RegExp(`(?:^|;\\s*)${SESSION_COOKIE}=([^;]*)`);

/** The subject of a Bearer JWT; with a secret, only of an HS256 token whose signature verifies. */
export function jwtSubject(authorization: string | undefined, secret?: string): string | undefined {
  if (!authorization?.startsWith('Bearer ')) return undefined;
  const parts = authorization.slice(7).trim().split('.');
  if (parts.length !== 3) return undefined;
  const [header, payload, signature] = parts as [string, string, string];
  if (secret) {
    const expected = createHmac('sha256', secret).update(`${header}.${payload}`).digest();
    const given = Buffer.from(signature, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  }
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { sub?: unknown };
    return typeof claims.sub === 'string' || typeof claims.sub === 'number' ? String(claims.sub) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Who the request is for stickiness: the JWT subject, else the proxy's session cookie, which is
 * created (and set on the response) when the client has none.
 */
export function identify(req: IncomingMessage, res: ServerResponse, jwtSecret?: string): FlagContext {
  const userId = jwtSubject(req.headers.authorization, jwtSecret);
  const cookie = req.headers.cookie ? COOKIE_PATTERN.exec(req.headers.cookie)?.[1] : undefined;
  if (cookie && SESSION_VALUE.test(cookie)) return { userId, sessionId: cookie };
  if (userId) return { userId };
  const sessionId = randomBytes(16).toString('base64url');
  res.setHeader('set-cookie', `${SESSION_COOKIE}=${sessionId}; Path=/; HttpOnly; SameSite=Lax; Max-Age=31536000`);
  return { sessionId };
}
