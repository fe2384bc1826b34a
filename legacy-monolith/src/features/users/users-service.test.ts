import { describe, expect, it } from 'vitest';
import type { AccessTokenClaims as AccessClaims } from '../../http/access-tokens.js';
import { fakePasswordHasher } from './fake-password-hasher.js';
import { FakeUsersStore } from './fake-users-store.js';
import { UsersService } from './users-service.js';

function setup() {
  const store = new FakeUsersStore();
  const signed: AccessClaims[] = [];
  const tokens = {
    sign: (claims: AccessClaims) => {
      signed.push(claims);
      return { token: `token-for-${claims.sub}`, expiresIn: 900 };
    },
  };
  return { store, signed, service: new UsersService(store, fakePasswordHasher, tokens) };
}

describe('UsersService', () => {
  it('registers a customer with a lower-case email and a hashed password, and signs them in', async () => {
    const { store, signed, service } = setup();
    const session = await service.register({ email: '  Alice@Example.COM ', password: 'correct horse battery', name: 'Alice' });
    expect(session.user).toMatchObject({ email: 'alice@example.com', name: 'Alice', role: 'customer' });
    expect(session).toMatchObject({ accessToken: `token-for-${session.user.id}`, tokenType: 'Bearer', expiresIn: 900 });
    expect(signed).toEqual([{ sub: session.user.id, role: 'customer', email: 'alice@example.com' }]);
    expect(store.users[0]!.passwordHash).not.toContain('correct horse battery');
  });

  it('refuses a second account for the same email in any letter case with 409 email_taken', async () => {
    const { service } = setup();
    await service.register({ email: 'bob@example.com', password: 'first password', name: 'Bob' });
    await expect(service.register({ email: 'BOB@example.com', password: 'second password', name: 'Bob 2' })).rejects.toMatchObject({ status: 409, code: 'email_taken' });
  });

  it('reports email_taken when the store detects the duplicate (a concurrent registration)', async () => {
    const { store, service } = setup();
    store.findByEmail = async () => undefined;
    await service.register({ email: 'carol@example.com', password: 'first password', name: 'Carol' });
    await expect(service.register({ email: 'carol@example.com', password: 'other password', name: 'Carol' })).rejects.toMatchObject({ code: 'email_taken' });
  });

  it('signs in with the right password whatever the email case', async () => {
    const { service } = setup();
    const registered = await service.register({ email: 'dave@example.com', password: 'dave password', name: 'Dave' });
    const session = await service.login({ email: 'DAVE@example.com', password: 'dave password' });
    expect(session.user.id).toBe(registered.user.id);
  });

  it('gives the same 401 invalid_credentials for a wrong password and an unknown email', async () => {
    const { service } = setup();
    await service.register({ email: 'erin@example.com', password: 'erin password', name: 'Erin' });
    const wrongPassword = await service.login({ email: 'erin@example.com', password: 'not her password' }).catch((e: unknown) => e);
    const unknownEmail = await service.login({ email: 'nobody@example.com', password: 'erin password' }).catch((e: unknown) => e);
    expect(wrongPassword).toMatchObject({ status: 401, code: 'invalid_credentials' });
    expect(unknownEmail).toMatchObject({ status: 401, code: 'invalid_credentials', message: (wrongPassword as Error).message });
  });

  it('answers me with the public profile, without the password hash', async () => {
    const { service } = setup();
    const { user } = await service.register({ email: 'frank@example.com', password: 'frank password', name: 'Frank' });
    const me = await service.me(user.id);
    expect(me).toEqual(user);
    expect(Object.keys(me)).not.toContain('passwordHash');
  });

  it('answers me with 404 when the token names a user that no longer exists', async () => {
    const { service } = setup();
    await expect(service.me('00000000-0000-4000-8000-000000000000')).rejects.toMatchObject({ status: 404 });
  });
});
