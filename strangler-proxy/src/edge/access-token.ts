import type { AccessTokenVerifier, TokenCheck } from '@strangler/platform';

/**
 * The edge's view of access tokens: the platform's verifier (ES256 with the monolith's public key;
 * issuer, audience and expiry checked) behind a small cache of tokens that verified, so a client
 * sending the same token on every request costs one signature check, not one per request. A cached
 * token is still refused once its `exp` passes. Only successes are cached: a forged token costs its
 * sender a verification every time, and the cache cannot be filled with garbage.
 */
export class EdgeTokens {
  private readonly verified = new Map<string, Extract<TokenCheck, { ok: true }>>();

  constructor(
    private readonly verifier: AccessTokenVerifier,
    private readonly maxEntries = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  check(authorization: string | undefined): TokenCheck {
    if (!authorization) return { ok: false, problem: 'token_missing' };
    const cached = this.verified.get(authorization);
    if (cached) {
      if (cached.claims.exp > this.now() / 1000) return cached;
      this.verified.delete(authorization);
    }
    const result = this.verifier.check(authorization);
    if (result.ok) {
      // Dropping everything when full is crude but bounded, and a refill costs one check per client.
      if (this.verified.size >= this.maxEntries) this.verified.clear();
      this.verified.set(authorization, result);
    }
    return result;
  }
}
