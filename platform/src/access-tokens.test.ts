import { createHmac, createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { describe, expect, it } from 'vitest';
import { AccessTokenSigner, AccessTokenVerifier, generateTokenKeyPair, tokenConfigFields } from './access-tokens.js';

const NOW = 1_800_000_000_000;
const USER = '0b5f8f3e-2a55-4a8e-9d1c-6d3c2f1a0e11';
const keys = generateTokenKeyPair();
const other = generateTokenKeyPair();
const settings = { issuer: 'legacy-monolith', audience: 'shop-api' };
const verifier = new AccessTokenVerifier(createPublicKey(keys.publicKey), settings, () => NOW);

const valid = { sub: USER, role: 'customer', iss: 'legacy-monolith', aud: 'shop-api', exp: NOW / 1000 + 60 };

function token(claims: Record<string, unknown>, key = keys.privateKey, algorithm: jwt.Algorithm = 'ES256'): string {
  return `Bearer ${jwt.sign(claims, key, { algorithm })}`;
}

function unsigned(header: object, claims: object, signature = ''): string {
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `Bearer ${b64(header)}.${b64(claims)}.${signature}`;
}

describe('access tokens', () => {
  it('accept a token signed with the private key, from the issuer, for the audience, not expired', () => {
    expect(verifier.check(token(valid))).toEqual({ ok: true, claims: { sub: USER, role: 'customer', email: '', exp: valid.exp } });
  });

  it('round-trip: what the signer signs, a verifier holding only the public key accepts', () => {
    const signer = new AccessTokenSigner(createPrivateKey(keys.privateKey), { ...settings, ttlSeconds: 60 });
    const { token: signed } = signer.sign({ sub: USER, role: 'admin', email: 'a@example.com' });
    const publicOnly = new AccessTokenVerifier(createPublicKey(keys.publicKey), settings);
    expect(publicOnly.verify(`Bearer ${signed}`)).toMatchObject({ sub: USER, role: 'admin', email: 'a@example.com' });
  });

  it.each([
    ['no header', undefined, 'token_missing'],
    ['another scheme', 'Basic dXNlcjpwYXNz', 'token_malformed'],
    ['two parts', 'Bearer abc.def', 'token_malformed'],
    ['an expired token', token({ ...valid, exp: NOW / 1000 - 1 }), 'token_expired'],
    ['a token without exp', token({ sub: USER, role: 'customer', iss: 'legacy-monolith', aud: 'shop-api' }), 'token_invalid'],
    ['a token without audience', token({ sub: USER, role: 'customer', iss: 'legacy-monolith', exp: valid.exp }), 'token_invalid'],
    ['another audience', token({ ...valid, aud: 'billing-api' }), 'token_invalid'],
    ['another key', token(valid, other.privateKey), 'token_invalid'],
    ['alg none', unsigned({ alg: 'none', typ: 'JWT' }, valid), 'token_invalid'],
    [
      'HS256 keyed with the public key (algorithm confusion)',
      (() => {
        const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
        const body = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(valid)}`;
        return `Bearer ${body}.${createHmac('sha256', keys.publicKey).update(body).digest('base64url')}`;
      })(),
      'token_invalid',
    ],
    ['another issuer', token({ ...valid, iss: 'someone-else' }), 'token_invalid'],
    ['a subject that is not a UUID', token({ ...valid, sub: '42' }), 'token_invalid'],
    ['an unknown role', token({ ...valid, role: 'root' }), 'token_invalid'],
  ])('refuse %s', (_case, header, problem) => {
    expect(verifier.check(header)).toEqual({ ok: false, problem });
  });
});

describe('token key settings', () => {
  it('accept a PEM with escaped newlines (one-line .env files)', () => {
    const parsed = tokenConfigFields.publicKey().safeParse(keys.publicKey.replace(/\n/g, '\\n'));
    expect(parsed.success).toBe(true);
  });

  it('refuse a key that is not PEM, and an RSA key, saying why', () => {
    const garbage = tokenConfigFields.publicKey().safeParse('not a key');
    expect(garbage.error?.issues[0]?.message).toMatch(/^is not a PEM public key/);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    expect(tokenConfigFields.publicKey().safeParse(rsa).error?.issues[0]?.message).toBe('must be an EC P-256 key for ES256, not rsa');
  });
});
