import type { IncomingMessage } from 'node:http';
import type { CapturedAnswer } from './answer-diff.js';

/**
 * The chunks joined in a buffer that owns its whole memory (never a slice of Node's shared pool, as
 * `Buffer.concat` gives for small bodies), so that it can be transferred to the comparison's thread.
 */
function ownBuffer(chunks: Buffer[], length: number): Buffer {
  const body = Buffer.allocUnsafeSlow(length);
  let offset = 0;
  for (const chunk of chunks) offset += chunk.copy(body, offset);
  return body;
}

/**
 * Keeps a copy of an answer's body up to `maxBytes` while it streams (to the user, or to nowhere for
 * a copy): the chunks are referenced, not copied, and past the limit nothing more is kept; the stream
 * is never paused or delayed. Calls `done` once, with the answer or with the error that cut it short.
 */
export function captureAnswer(answer: IncomingMessage, startedAt: number, maxBytes: number, done: (result: CapturedAnswer | Error) => void): void {
  const chunks: Buffer[] = [];
  let kept = 0;
  let truncated = false;
  let settled = false;
  const finish = (result: CapturedAnswer | Error) => {
    if (settled) return;
    settled = true;
    answer.off('data', onData);
    done(result);
  };
  const onData = (chunk: Buffer) => {
    if (truncated) return;
    if (kept + chunk.length > maxBytes) {
      truncated = true;
      chunks.length = 0;
      return;
    }
    chunks.push(chunk);
    kept += chunk.length;
  };
  answer.on('data', onData);
  answer.once('end', () => finish({ status: answer.statusCode ?? 0, headers: answer.headers, body: truncated ? Buffer.alloc(0) : ownBuffer(chunks, kept), truncated, durationMs: performance.now() - startedAt }));
  answer.once('error', (err) => finish(err));
  // Every answer closes after its end: build the error (and its stack trace) only for one cut short.
  answer.once('close', () => {
    if (!settled) finish(new Error('the answer was cut short'));
  });
}
