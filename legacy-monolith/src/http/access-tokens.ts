import jwt from 'jsonwebtoken';
import { UnauthorizedError, type Api } from '@strangler/platform';

export type Role = 'customer' | 'admin';

/** User ids are UUIDs; a subject of another form would only fail later, in the database. */
const USER_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface AccessClaims {
  /** User id. */
  sub: string;
  role: Role;
  email: string;
}

/** Signs and verifies the HS256 JWT access tokens that every service (and the proxy) accepts. */
export class AccessTokens {
  constructor(private readonly options: { secret: string; issuer: string; ttlSeconds: number }) {}

  sign(claims: AccessClaims): { token: string; expiresIn: number } {
    const token = jwt.sign({ role: claims.role, email: claims.email }, this.options.secret, {
      algorithm: 'HS256',
      subject: claims.sub,
      issuer: this.options.issuer,
      expiresIn: this.options.ttlSeconds,
    });
    return { token, expiresIn: this.options.ttlSeconds };
  }

  /** Throws UnauthorizedError with a code that says what is wrong (missing, malformed, expired, invalid). */
  verify(authorization: string | undefined): AccessClaims {
    if (!authorization) throw new UnauthorizedError('Missing bearer token', 'token_missing');
    // The scheme name is case-insensitive and may be followed by several spaces (RFC 7235).
    const match = /^Bearer +([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)$/i.exec(authorization.trim());
    if (!match) throw new UnauthorizedError('Malformed Authorization header: expected "Bearer <jwt>"', 'token_malformed');
    try {
      const payload = jwt.verify(match[1]!, this.options.secret, { algorithms: ['HS256'], issuer: this.options.issuer });
      if (typeof payload === 'string' || typeof payload.sub !== 'string' || !USER_ID.test(payload.sub) || (payload.role !== 'customer' && payload.role !== 'admin')) {
        throw new UnauthorizedError('Token claims are invalid', 'token_invalid');
      }
      return { sub: payload.sub, role: payload.role, email: String(payload.email ?? '') };
    } catch (err) {
      if (err instanceof UnauthorizedError) throw err;
      if (err instanceof jwt.TokenExpiredError) throw new UnauthorizedError('Token has expired', 'token_expired');
      throw new UnauthorizedError('Token is invalid', 'token_invalid');
    }
  }
}

/** The monolith's route declarations: a route that declares `auth` gets the access token's claims. */
export type MonolithApi = Api<AccessClaims>;
