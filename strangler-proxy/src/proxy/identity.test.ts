import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { identify, SESSION_COOKIE } from './identity.js';

function request(headers: Record<string, string>): { req: IncomingMessage; res: ServerResponse; cookies: string[] } {
  const cookies: string[] = [];
  const res = { setHeader: (_name: string, value: string) => cookies.push(value) } as unknown as ServerResponse;
  return { req: { headers } as IncomingMessage, res, cookies };
}

describe('the identity used for stickiness', () => {
  it('is the verified subject when the edge verified a token', () => {
    const { req, res } = request({});
    expect(identify(req, res, 'user-1')).toEqual({ userId: 'user-1' });
  });

  it('never comes from an unverified token: without a verified subject the session cookie decides', () => {
    const { req, res } = request({ authorization: 'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiJ9.', cookie: `${SESSION_COOKIE}=abcdefghijklmnop1234` });
    expect(identify(req, res, undefined)).toEqual({ userId: undefined, sessionId: 'abcdefghijklmnop1234' });
  });

  it('creates a session cookie for a client with neither', () => {
    const { req, res, cookies } = request({});
    const context = identify(req, res, undefined);
    expect(context.sessionId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(cookies[0]).toBe(`${SESSION_COOKIE}=${context.sessionId}; Path=/; HttpOnly; SameSite=Lax; Max-Age=31536000`);
  });

  it('ignores a session cookie of the wrong form and issues a new one', () => {
    const { req, res, cookies } = request({ cookie: `${SESSION_COOKIE}=short` });
    expect(identify(req, res, undefined).sessionId).not.toBe('short');
    expect(cookies).toHaveLength(1);
  });
});
