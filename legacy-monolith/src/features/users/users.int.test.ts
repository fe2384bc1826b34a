import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestMonolith, type TestMonolith } from '../../../../test-support/monolith.js';

describe('users and auth over HTTP', () => {
  let t: TestMonolith;
  beforeAll(async () => {
    t = await startTestMonolith();
  });
  afterAll(async () => {
    await t.close();
  });

  it('registers a customer: 201 with a bearer token that opens /api/users/me', async () => {
    const res = await request(t.app).post('/api/auth/register').send({ email: 'Grace@Example.com', password: 'grace-hopper-1906', name: 'Grace' }).expect(201);
    expect(res.body).toMatchObject({ user: { email: 'grace@example.com', name: 'Grace', role: 'customer' }, tokenType: 'Bearer', expiresIn: 900 });
    const me = await request(t.app).get('/api/users/me').set('authorization', `Bearer ${res.body.accessToken}`).expect(200);
    expect(me.body).toEqual(res.body.user);
  });

  it('stores an argon2id hash, never the password', async () => {
    await request(t.app).post('/api/auth/register').send({ email: 'hash@example.com', password: 'plain-text-never', name: 'Hash' }).expect(201);
    const row = await t.monolith.prisma.user.findUniqueOrThrow({ where: { email: 'hash@example.com' } });
    expect(row.passwordHash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(row.passwordHash).not.toContain('plain-text-never');
  });

  it('refuses a duplicate email in another letter case with 409 email_taken', async () => {
    await request(t.app).post('/api/auth/register').send({ email: 'dup@example.com', password: 'first-password', name: 'Dup' }).expect(201);
    const res = await request(t.app).post('/api/auth/register').send({ email: 'DUP@example.com', password: 'second-password', name: 'Dup' }).expect(409);
    expect(res.body.error.code).toBe('email_taken');
  });

  it('rejects a short password and a bad email with 400 naming each field', async () => {
    const res = await request(t.app).post('/api/auth/register').send({ email: 'not-an-email', password: 'short', name: 'X' }).expect(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect(res.body.error.message).toContain('body.email');
    expect(res.body.error.message).toContain('body.password: must be at least 10 characters');
  });

  it('logs in with the right password, whatever the email case', async () => {
    await request(t.app).post('/api/auth/register').send({ email: 'ivy@example.com', password: 'ivy-password-1', name: 'Ivy' }).expect(201);
    const res = await request(t.app).post('/api/auth/login').send({ email: 'IVY@example.com', password: 'ivy-password-1' }).expect(200);
    expect(res.body).toMatchObject({ user: { email: 'ivy@example.com' }, tokenType: 'Bearer' });
    expect(t.monolith.tokens.verify(`Bearer ${res.body.accessToken}`)).toEqual({ sub: res.body.user.id, role: 'customer', email: 'ivy@example.com', exp: expect.any(Number) });
    const [header, payload] = (res.body.accessToken as string).split('.').slice(0, 2).map((part) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')));
    expect(header).toMatchObject({ alg: 'ES256' });
    expect(payload).toMatchObject({ iss: 'legacy-monolith', aud: 'shop-api', sub: res.body.user.id });
    expect(payload.exp - payload.iat).toBe(900);
  });

  it('answers a wrong password and an unknown email with the same 401 invalid_credentials', async () => {
    await request(t.app).post('/api/auth/register').send({ email: 'jack@example.com', password: 'jack-password-1', name: 'Jack' }).expect(201);
    const wrong = await request(t.app).post('/api/auth/login').send({ email: 'jack@example.com', password: 'not-jacks-password' }).expect(401);
    const unknown = await request(t.app).post('/api/auth/login').send({ email: 'nobody@example.com', password: 'jack-password-1' }).expect(401);
    expect(wrong.body.error.code).toBe('invalid_credentials');
    expect(unknown.body.error).toEqual({ ...wrong.body.error, correlationId: unknown.body.error.correlationId });
  });

  it('answers /api/users/me without a token with 401 token_missing', async () => {
    const res = await request(t.app).get('/api/users/me').expect(401);
    expect(res.body.error.code).toBe('token_missing');
  });

  it('accepts the bearer scheme in any letter case and after more than one space (RFC 7235)', async () => {
    const session = await request(t.app).post('/api/auth/register').send({ email: 'ada@example.com', password: 'ada-lovelace-1815', name: 'Ada' }).expect(201);
    for (const header of [`bearer ${session.body.accessToken}`, `BEARER ${session.body.accessToken}`, `Bearer   ${session.body.accessToken}`]) {
      const me = await request(t.app).get('/api/users/me').set('authorization', header).expect(200);
      expect(me.body.email).toBe('ada@example.com');
    }
  });

  it('rejects unknown fields such as a self-assigned role with 400, as every other body of the API does', async () => {
    const res = await request(t.app).post('/api/auth/register').send({ email: 'mallory@example.com', password: 'mallory-password-1', name: 'Mallory', role: 'admin' }).expect(400);
    expect(res.body.error).toMatchObject({ code: 'validation_failed', details: [{ field: 'body', reason: 'Unrecognized key: "role"' }] });
    await request(t.app).post('/api/auth/login').send({ email: 'mallory@example.com', password: 'mallory-password-1', remember: true }).expect(400);
  });

  it('answers a correctly signed token whose subject is not a user id with 401 token_invalid, not a 500', async () => {
    const res = await request(t.app).get('/api/users/me').set('authorization', t.bearer('customer', 'not-a-user-id')).expect(401);
    expect(res.body.error.code).toBe('token_invalid');
  });
});
