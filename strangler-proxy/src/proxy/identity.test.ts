import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { jwtSubject } from './identity.js';

function token(claims: object, secret: string): string {
  const header = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');
  const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
  const signature = createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url');
  return `Bearer ${header}.${payload}.${signature}`;
}

describe('the JWT subject used for stickiness', () => {
  it('is read from a token signed with the shared secret', () => {
    expect(jwtSubject(token({ sub: '42' }, 's3cret'), 's3cret')).toBe('42');
  });

  it('is ignored when the signature does not verify', () => {
    expect(jwtSubject(token({ sub: '42' }, 'other'), 's3cret')).toBeUndefined();
  });

  it('is read without verification when no secret is configured', () => {
    expect(jwtSubject(token({ sub: 7 }, 'any'))).toBe('7');
  });

  it('is absent for malformed or non-Bearer credentials', () => {
    expect(jwtSubject('Basic abc')).toBeUndefined();
    expect(jwtSubject('Bearer not-a-jwt')).toBeUndefined();
    expect(jwtSubject('Bearer a.%%%.c')).toBeUndefined();
  });
});
