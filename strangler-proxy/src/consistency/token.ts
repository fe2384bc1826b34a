import { createHmac, timingSafeEqual } from 'node:crypto';

/** A client's last write: a position in the write-ahead log of the system that owns the data. */
export interface ConsistencyToken {
  /** Who owns the written data and reported the position (`legacy-monolith` until a domain is owned). */
  system: string;
  lsn: bigint;
}

const FORMAT = /^v1\.([a-z][a-z0-9-]{0,62})\.([0-9a-f]{1,16})\.([A-Za-z0-9_-]{43})$/;

/**
 * Issues and checks consistency tokens, `v1.<system>.<lsn in hex>.<HMAC-SHA256>`. A token that is
 * malformed, altered or signed with another secret reads as no token: a client cannot make the
 * proxy wait for a position nobody wrote.
 */
export class TokenSigner {
  constructor(private readonly secret: string) {}

  private mac(body: string): Buffer {
    return createHmac('sha256', this.secret).update(body).digest();
  }

  issue(token: ConsistencyToken): string {
    const body = `v1.${token.system}.${token.lsn.toString(16)}`;
    return `${body}.${this.mac(body).toString('base64url')}`;
  }

  verify(text: string | undefined): ConsistencyToken | undefined {
    const match = text ? FORMAT.exec(text) : null;
    if (!match) return undefined;
    const given = Buffer.from(match[3]!, 'base64url');
    const expected = this.mac(`v1.${match[1]}.${match[2]}`);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    return { system: match[1]!, lsn: BigInt(`0x${match[2]}`) };
  }
}
