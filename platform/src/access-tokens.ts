import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { z } from 'zod';
import { UnauthorizedError } from './errors.js';

/**
 * The access tokens every process accepts: ES256 JWTs signed by the monolith (the only holder of the
 * private key) and verified with its public key by the proxy's edge and by every service
 * (docs/adr/0016). A token must carry `iss`, `aud`, `exp`, a UUID `sub` and a known `role`.
 */
export const ACCESS_TOKEN_ALGORITHM = 'ES256';

export type Role = 'customer' | 'admin';

export interface AccessClaims {
  /** User id. */
  sub: string;
  role: Role;
  email: string;
  /** Expiry, seconds since the epoch. */
  exp: number;
}

/** Why a token was refused; the same codes at the edge and in every service. */
export type TokenProblem = 'token_missing' | 'token_malformed' | 'token_expired' | 'token_invalid';

const MESSAGES: Record<TokenProblem, string> = {
  token_missing: 'Missing bearer token',
  token_malformed: 'Malformed Authorization header: expected "Bearer <jwt>"',
  token_expired: 'Token has expired',
  token_invalid: 'Token is invalid',
};

export function tokenProblemMessage(problem: TokenProblem): string {
  return MESSAGES[problem];
}

export type TokenCheck = { ok: true; claims: AccessClaims } | { ok: false; problem: TokenProblem };

/** User ids are UUIDs; a subject of another form would only fail later, in the database. */
const USER_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// The scheme name is case-insensitive and may be followed by several spaces (RFC 7235).
const BEARER = /^Bearer +([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)$/i;

export interface TokenSettings {
  issuer: string;
  audience: string;
}

/** Verifies access tokens with the monolith's public key. Stateless and synchronous. */
export class AccessTokenVerifier {
  constructor(
    private readonly publicKey: KeyObject,
    private readonly settings: TokenSettings,
    private readonly now: () => number = Date.now,
  ) {}

  check(authorization: string | undefined): TokenCheck {
    if (!authorization) return { ok: false, problem: 'token_missing' };
    const match = BEARER.exec(authorization.trim());
    if (!match) return { ok: false, problem: 'token_malformed' };
    let payload: string | jwt.JwtPayload;
    try {
      payload = jwt.verify(match[1]!, this.publicKey, {
        algorithms: [ACCESS_TOKEN_ALGORITHM],
        issuer: this.settings.issuer,
        audience: this.settings.audience,
        clockTimestamp: Math.floor(this.now() / 1000),
      });
    } catch (err) {
      return { ok: false, problem: err instanceof jwt.TokenExpiredError ? 'token_expired' : 'token_invalid' };
    }
    // jsonwebtoken accepts a token without `exp`; a token that never expires is refused here.
    if (typeof payload === 'string' || typeof payload.exp !== 'number') return { ok: false, problem: 'token_invalid' };
    if (typeof payload.sub !== 'string' || !USER_ID.test(payload.sub)) return { ok: false, problem: 'token_invalid' };
    const role: unknown = payload.role;
    if (role !== 'customer' && role !== 'admin') return { ok: false, problem: 'token_invalid' };
    return { ok: true, claims: { sub: payload.sub, role, email: String(payload.email ?? ''), exp: payload.exp } };
  }

  /** The `TokenVerifier` of `Api`: the claims, or an UnauthorizedError whose code says what is wrong. */
  verify(authorization: string | undefined): AccessClaims {
    const result = this.check(authorization);
    if (!result.ok) throw new UnauthorizedError(tokenProblemMessage(result.problem), result.problem);
    return result.claims;
  }
}

/** Signs access tokens; only the monolith (the issuer) has one. */
export class AccessTokenSigner {
  readonly verifier: AccessTokenVerifier;

  constructor(
    private readonly privateKey: KeyObject,
    private readonly settings: TokenSettings & { ttlSeconds: number },
  ) {
    this.verifier = new AccessTokenVerifier(createPublicKey(privateKey), settings);
  }

  sign(claims: Omit<AccessClaims, 'exp'>): { token: string; expiresIn: number } {
    const token = jwt.sign({ role: claims.role, email: claims.email }, this.privateKey, {
      algorithm: ACCESS_TOKEN_ALGORITHM,
      subject: claims.sub,
      issuer: this.settings.issuer,
      audience: this.settings.audience,
      expiresIn: this.settings.ttlSeconds,
    });
    return { token, expiresIn: this.settings.ttlSeconds };
  }
}

/** PEM from an environment variable: real newlines, or `\n` escapes (one-line .env files). */
function pemText(value: string): string {
  return value.includes('\\n') ? value.replace(/\\n/g, '\n') : value;
}

function ecKey(kind: 'public' | 'private') {
  const required = `is required (a PEM ${kind} key of an EC P-256 key pair; \`npm start\` generates one into .stack/secrets.json)`;
  return z.string({ message: required }).transform((value, ctx) => {
    let key: KeyObject;
    try {
      key = kind === 'public' ? createPublicKey(pemText(value)) : createPrivateKey(pemText(value));
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: `is not a PEM ${kind} key (${err instanceof Error ? err.message : String(err)})` });
      return z.NEVER;
    }
    if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
      ctx.addIssue({ code: 'custom', message: `must be an EC P-256 key for ES256, not ${key.asymmetricKeyType}${key.asymmetricKeyDetails?.namedCurve ? ` ${key.asymmetricKeyDetails.namedCurve}` : ''}` });
      return z.NEVER;
    }
    return key;
  });
}

/** Config fields shared by every process that signs or verifies access tokens. */
export const tokenConfigFields = {
  publicKey: () => ecKey('public'),
  privateKey: () => ecKey('private'),
  issuer: () => z.string().min(1).default('legacy-monolith'),
  audience: () => z.string().min(1).default('shop-api'),
};

/** A fresh ES256 key pair as PEM text (the stack's first start, tests). */
export function generateTokenKeyPair(): { privateKey: string; publicKey: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return {
    privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}
