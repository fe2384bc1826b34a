/**
 * PostgreSQL log sequence numbers (LSN): a position in the monolith's write-ahead log. Watermarks
 * (how far a service has applied the monolith's changes) and consistency tokens (where a client's
 * last write committed) are both LSNs, compared as 64-bit integers.
 */

/**
 * The response header in which the system that owns written data (the monolith today) reports the
 * WAL position after a write committed; the proxy turns it into the client's consistency token and
 * never lets it reach a client (ADR-0021).
 */
export const COMMIT_LSN_HEADER = 'strangler-commit-lsn';

/**
 * The header of a client's consistency token (ADR-0021): the proxy reads and removes it, and serves
 * the read from a side whose watermark has reached the token.
 */
export const CONSISTENCY_TOKEN_HEADER = 'strangler-consistency-token';
/** The cookie that carries a browser's consistency token (HttpOnly; the proxy reads and removes it too). */
export const CONSISTENCY_TOKEN_COOKIE = 'strangler_ct';

/**
 * The prefix of the transactional logical decoding message in which the system that owns written data
 * records the W3C trace context of the request behind a write; Debezium captures it with the
 * transaction's changes, and the projection that applies them logs that trace id (ADR-0026).
 */
export const TRACE_MESSAGE_PREFIX = 'strangler.trace';

/**
 * The SQLSTATE of a write the monolith's database refuses because the domain's service owns it (the
 * write guard the reverse sync installs, ADR-0032); the monolith answers such a write 409 `not_owner`.
 */
export const NOT_OWNER_SQLSTATE = 'SF409';

const TEXT = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/;

/** PostgreSQL's notation of an LSN: the high and low 32 bits in hexadecimal, `16/B374D848`. */
export function formatLsn(lsn: bigint): string {
  return `${(lsn >> 32n).toString(16).toUpperCase()}/${(lsn & 0xffffffffn).toString(16).toUpperCase()}`;
}

/** Reads `16/B374D848` (as `pg_current_wal_lsn()::text` gives it); undefined for anything else. */
export function parseLsn(text: string | undefined | null): bigint | undefined {
  const match = text ? TEXT.exec(text) : null;
  if (!match) return undefined;
  return (BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`);
}
