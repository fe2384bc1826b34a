import type { IncomingMessage } from 'node:http';
import getRawBody from 'raw-body';

export type BodyOutcome = { ok: true; body: Buffer } | { ok: false; reason: 'too_large' | 'timeout' | 'incomplete' };

/**
 * Reads a request body whole, before any upstream connection is taken, so a client trickling its
 * body holds only its own connection, never one of the upstream pool's. Bounded in size (`limit`,
 * and the declared Content-Length must match what arrives) and in time (`timeoutMs`).
 */
export async function readBody(req: IncomingMessage, limit: number, timeoutMs: number): Promise<BodyOutcome> {
  const declared = req.headers['content-length'];
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<BodyOutcome>((resolve) => {
    timer = setTimeout(() => {
      req.pause();
      resolve({ ok: false, reason: 'timeout' });
    }, timeoutMs);
  });
  const read = getRawBody(req, { limit, length: declared === undefined ? undefined : Number(declared) }).then(
    (body): BodyOutcome => ({ ok: true, body }),
    (err: { type?: string }): BodyOutcome => ({ ok: false, reason: err.type === 'entity.too.large' ? 'too_large' : 'incomplete' }),
  );
  try {
    return await Promise.race([read, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
