import { describe, expect, it } from 'vitest';
import { TokenSigner } from './token.js';

const signer = new TokenSigner('a-secret-of-at-least-thirty-two-characters');

describe('consistency tokens', () => {
  it('carry the owning system and the position of the write', () => {
    const token = signer.issue({ system: 'legacy-monolith', lsn: 0x16b374d848n });
    expect(token).toMatch(/^v1\.legacy-monolith\.16b374d848\.[A-Za-z0-9_-]{43}$/);
    expect(signer.verify(token)).toEqual({ system: 'legacy-monolith', lsn: 0x16b374d848n });
  });

  it('read as no token when altered, forged with another secret, or malformed', () => {
    const token = signer.issue({ system: 'legacy-monolith', lsn: 100n });
    const forged = new TokenSigner('another-secret-of-thirty-two-characters!').issue({ system: 'legacy-monolith', lsn: 100n });
    for (const text of [token.replace('.64.', '.ffffffff.'), forged, 'v1.legacy-monolith.64', '16/B374D848', '', `${token}x`, undefined]) {
      expect(signer.verify(text)).toBeUndefined();
    }
  });
});
