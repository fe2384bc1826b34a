import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AccessTokenVerifier } from './access-token.js';

const SECRET = 'a-secret-of-at-least-thirty-two-characters';
const NOW = 1_800_000_000_000;
const USER = '0b5f8f3e-2a55-4a8e-9d1c-6d3c2f1a0e11';

function token(claims: Record<string, unknown>, secret = SECRET, header: Record<string, unknown> = { alg: 'HS256', typ: 'JWT' }): string {
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const body = `${b64(header)}.${b64(claims)}`;
  return `Bearer ${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`;
}

const valid = { sub: USER, role: 'customer', iss: 'legacy-monolith', exp: NOW / 1000 + 60 };
const verifier = new AccessTokenVerifier(SECRET, 'legacy-monolith', () => NOW);

describe('verifying access tokens at the edge', () => {
  it('accepts a token signed with the secret, from the issuer, not expired', () => {
    expect(verifier.verify(token(valid))).toEqual({ ok: true, token: { sub: USER, role: 'customer' } });
  });

  it.each([
    ['no header', undefined, 'token_missing'],
    ['another scheme', 'Basic dXNlcjpwYXNz', 'token_malformed'],
    ['two parts', 'Bearer abc.def', 'token_malformed'],
    ['an expired token', token({ ...valid, exp: NOW / 1000 - 1 }), 'token_expired'],
    ['a wrong signature', token(valid, 'another-secret-of-thirty-two-characters'), 'token_invalid'],
    ['alg none', token(valid, SECRET, { alg: 'none' }), 'token_invalid'],
    ['another issuer', token({ ...valid, iss: 'someone-else' }), 'token_invalid'],
    ['a subject that is not a UUID', token({ ...valid, sub: '42' }), 'token_invalid'],
    ['an unknown role', token({ ...valid, role: 'root' }), 'token_invalid'],
  ])('refuses %s', (_case, header, problem) => {
    expect(verifier.verify(header)).toEqual({ ok: false, problem });
  });
});
