import { createHmac, randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger, generateTokenKeyPair, type Logger } from '@strangler/platform';
import jwt from 'jsonwebtoken';
import { composeMonolith } from '../legacy-monolith/src/compose.js';
import { readConfig } from '../legacy-monolith/src/config.js';
import { createTestDatabase, MONOLITH_TEMPLATE, type TestDatabase } from './database.js';

/** The access-token key pair of this test file's monoliths: the private key signs, proxies and services get the public one. */
export const TEST_JWT_KEYS = generateTokenKeyPair();
export const TEST_JWT_AUDIENCE = 'shop-api';
const OTHER_KEYS = generateTokenKeyPair();

export interface TestMonolith {
  db: TestDatabase;
  monolith: ReturnType<typeof composeMonolith>;
  /** The Express app, for supertest. */
  app: ReturnType<typeof composeMonolith>['app'];
  /** Listens on a free port when `listen` was asked for. */
  url?: string;
  /** An Authorization header for a made-up user of that role (the API trusts the token; no account is needed). */
  bearer(role: 'customer' | 'admin', userId?: string): string;
  close(): Promise<void>;
}

/**
 * The real monolith on its own database cloned from the migrated template: the same wiring as
 * server.ts. With `listen`, also an HTTP server on a free port (for the proxy's tests).
 */
export async function startTestMonolith(options: { listen?: boolean; env?: Record<string, string>; logger?: Logger } = {}): Promise<TestMonolith> {
  const db = await createTestDatabase('monolith', MONOLITH_TEMPLATE);
  const config = readConfig({ DATABASE_URL: db.url, JWT_PRIVATE_KEY: TEST_JWT_KEYS.privateKey, LOG_LEVEL: 'silent', DATABASE_POOL_SIZE: '5', ...options.env });
  const monolith = composeMonolith(config, options.logger ?? createLogger('legacy-monolith', config.LOG_LEVEL));
  let url: string | undefined;
  let server: Server | undefined;
  if (options.listen) {
    server = await new Promise((resolve) => {
      const s = monolith.app.listen(0, '127.0.0.1', () => resolve(s));
    });
    url = `http://127.0.0.1:${(server!.address() as AddressInfo).port}`;
  }
  return {
    db,
    monolith,
    app: monolith.app,
    url,
    bearer: (role, userId = randomUUID()) => `Bearer ${monolith.tokens.sign({ sub: userId, role, email: `${userId}@example.com` }).token}`,
    close: async () => {
      if (server) await new Promise<void>((resolve) => server!.close(() => resolve()));
      await monolith.close();
      await db.drop();
    },
  };
}

type Role = 'customer' | 'admin';

/** A token signed with `key`; `options` override the claims a valid token has. */
function signed(role: Role, key: string, options: jwt.SignOptions & { exp?: number } = {}): string {
  const { exp, ...rest } = options;
  const token = jwt.sign({ role, email: 'test@example.com', ...(exp !== undefined ? { exp } : {}) }, key, {
    algorithm: 'ES256',
    subject: randomUUID(),
    issuer: 'legacy-monolith',
    audience: TEST_JWT_AUDIENCE,
    ...(exp === undefined && !('expiresIn' in rest) ? { expiresIn: 600 } : {}),
    ...rest,
  });
  return `Bearer ${token}`;
}

/** An Authorization header with a token that expired a minute ago (right key, issuer and audience). */
export function expiredBearer(role: Role): string {
  return signed(role, TEST_JWT_KEYS.privateKey, { exp: Math.floor(Date.now() / 1000) - 60 });
}

/** An Authorization header with a well-formed, unexpired token signed with another key. */
export function forgedBearer(role: Role): string {
  return signed(role, OTHER_KEYS.privateKey);
}

/** A token with the right key whose audience is another API's. */
export function otherAudienceBearer(role: Role): string {
  return signed(role, TEST_JWT_KEYS.privateKey, { audience: 'another-api' });
}

/** A token with the right key, issuer and audience but no `exp`: one that would never expire. */
export function neverExpiringBearer(role: Role): string {
  const token = jwt.sign({ role, email: 'test@example.com' }, TEST_JWT_KEYS.privateKey, { algorithm: 'ES256', subject: randomUUID(), issuer: 'legacy-monolith', audience: TEST_JWT_AUDIENCE });
  return `Bearer ${token}`;
}

/** An HS256 token whose "secret" is the public key: the classic algorithm-confusion forgery. */
export function algorithmConfusionBearer(role: Role): string {
  const header = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');
  const payload = Buffer.from(JSON.stringify({ role, sub: randomUUID(), iss: 'legacy-monolith', aud: TEST_JWT_AUDIENCE, exp: Math.floor(Date.now() / 1000) + 600 })).toString('base64url');
  const signature = createHmac('sha256', TEST_JWT_KEYS.publicKey).update(`${header}.${payload}`).digest('base64url');
  return `Bearer ${header}.${payload}.${signature}`;
}
