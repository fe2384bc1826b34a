import type { KeyObject } from 'node:crypto';
import { AccessTokenSigner, type AccessClaims, type Api, type Role } from '@strangler/platform';

export type { Role };

/** What the monolith signs into an access token; `exp` is added by the signer. */
export type AccessTokenClaims = Omit<AccessClaims, 'exp'>;

/**
 * The monolith issues the access tokens (ES256, with issuer, audience and expiry) and, like every
 * service, verifies them with the public key of the same pair (docs/adr/0016).
 */
export class AccessTokens {
  private readonly signer: AccessTokenSigner;

  constructor(options: { privateKey: KeyObject; issuer: string; audience: string; ttlSeconds: number }) {
    this.signer = new AccessTokenSigner(options.privateKey, options);
  }

  sign(claims: AccessTokenClaims): { token: string; expiresIn: number } {
    return this.signer.sign(claims);
  }

  /** Throws UnauthorizedError with a code that says what is wrong (missing, malformed, expired, invalid). */
  verify(authorization: string | undefined): AccessClaims {
    return this.signer.verifier.verify(authorization);
  }
}

/** The monolith's route declarations: a route that declares `auth` gets the access token's claims. */
export type MonolithApi = Api<AccessClaims>;
