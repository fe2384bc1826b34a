import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FlagContext } from '../flags/flag-reader.js';

export const SESSION_COOKIE = 'strangler_sid';
const SESSION_VALUE = /^[A-Za-z0-9_-]{16,64}$/;
const COOKIE_PATTERN = new RegExp(`(?:^|;\\s*)${SESSION_COOKIE}=([^;]*)`);

/**
 * Who the request is for stickiness: `verifiedUserId` (the subject of an access token that the edge
 * verified; an unverified subject is never used, or anyone could pick their side of a canary by
 * writing a token), else the proxy's session cookie, which is created (and set on the response) when
 * the client has none.
 */
export function identify(req: IncomingMessage, res: ServerResponse, verifiedUserId: string | undefined): FlagContext {
  const cookie = req.headers.cookie ? COOKIE_PATTERN.exec(req.headers.cookie)?.[1] : undefined;
  if (cookie && SESSION_VALUE.test(cookie)) return { userId: verifiedUserId, sessionId: cookie };
  if (verifiedUserId) return { userId: verifiedUserId };
  const sessionId = randomBytes(16).toString('base64url');
  res.setHeader('set-cookie', `${SESSION_COOKIE}=${sessionId}; Path=/; HttpOnly; SameSite=Lax; Max-Age=31536000`);
  return { sessionId };
}
