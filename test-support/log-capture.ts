import { Writable } from 'node:stream';
import { createLogger, type Logger } from '@strangler/platform';

export interface CapturedLogs {
  logger: Logger;
  /** Every line logged so far, parsed. */
  lines(): Record<string, unknown>[];
}

/** A real logger of the platform (same format, redaction and context) whose JSON lines a test can read. */
export function captureLogs(service: string, level = 'info'): CapturedLogs {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    objectMode: true,
    write(chunk: unknown, _encoding, done) {
      // winston's Stream transport writes the formatted line, or the info object itself in object mode.
      const text = typeof chunk === 'string' || Buffer.isBuffer(chunk) ? chunk.toString() : JSON.stringify(chunk);
      for (const line of text.split('\n')) if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: createLogger(service, level, stream), lines: () => lines };
}
