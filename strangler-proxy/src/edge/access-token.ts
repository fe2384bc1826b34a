import { createHmac, timingSafeEqual } from 'node:crypto';

/** Why a request was refused at the edge: the same codes as the monolith's auth module. */
export type TokenProblem = 'token_missing' | 'token_malformed' | 'token_expired' | 'token_invalid';

export interface VerifiedToken {
  sub: string;
  role: 'customer' | 'admin';
}

const BEARER = /^Bearer +([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]*)$/i;
const USER_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const MESSAGES: Record<TokenProblem, string> = {
  token_missing: 'Missing bearer token',
  token_malformed: 'Malformed Authorization header: expected "Bearer <jwt>"',
  token_expired: 'Token has expired',
  token_invalid: 'Token is invalid',
};

export function tokenProblemMessage(problem: TokenProblem): string {
  return MESSAGES[problem];
}

function decode(part: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Verifies the monolith's access tokens as its auth module does (legacy-monolith
 * src/http/access-tokens.ts): HS256 only, signature, issuer, expiry, a UUID subject and a known
 * role. The proxy checks authentication only; each service authorises the call again.
 */
export class AccessTokenVerifier {
  constructor(
    private readonly secret: string,
    private readonly issuer: string,
    private readonly now: () => number = Date.now,
  ) {}

  verify(authorization: string | undefined): { ok: true; token: VerifiedToken } | { ok: false; problem: TokenProblem } {
    if (!authorization) return { ok: false, problem: 'token_missing' };
    const match = BEARER.exec(authorization.trim());
    if (!match) return { ok: false, problem: 'token_malformed' };
    const [, headerPart, payloadPart, signaturePart] = match as unknown as [string, string, string, string];
    const header = decode(headerPart);
    if (header?.alg !== 'HS256') return { ok: false, problem: 'token_invalid' };
    const expected = createHmac('sha256', this.secret).update(`${headerPart}.${payloadPart}`).digest();
    const given = Buffer.from(signaturePart, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, problem: 'token_invalid' };
    const claims = decode(payloadPart);
    if (!claims) return { ok: false, problem: 'token_invalid' };
    const nowSeconds = Math.floor(this.now() / 1000);
    if (typeof claims.exp === 'number' && claims.exp <= nowSeconds) return { ok: false, problem: 'token_expired' };
    if (typeof claims.nbf === 'number' && claims.nbf > nowSeconds) return { ok: false, problem: 'token_invalid' };
    if (claims.iss !== this.issuer) return { ok: false, problem: 'token_invalid' };
    if (typeof claims.sub !== 'string' || !USER_ID.test(claims.sub)) return { ok: false, problem: 'token_invalid' };
    if (claims.role !== 'customer' && claims.role !== 'admin') return { ok: false, problem: 'token_invalid' };
    return { ok: true, token: { sub: claims.sub, role: claims.role } };
  }
}
