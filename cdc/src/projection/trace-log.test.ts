import type { Logger } from '@strangler/platform';
import { describe, expect, it } from 'vitest';
import { parseTraceMessage, TraceLog } from './trace-log.js';

const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

function debeziumMessage(fields: { prefix?: string; content?: string; txId?: number; op?: string } = {}) {
  return {
    value: Buffer.from(
      JSON.stringify({
        op: fields.op ?? 'm',
        ts_ms: 1_700_000_000_500,
        source: { txId: fields.txId ?? 771, lsn: 24_023_128, ts_ms: 1_700_000_000_000 },
        message: { prefix: fields.prefix ?? 'strangler.trace', content: fields.content ?? Buffer.from(TRACEPARENT).toString('base64') },
      }),
    ),
  };
}

function recordingLogger() {
  const lines: { message: string; meta: Record<string, unknown> }[] = [];
  const logger = { info: (message: string, meta: Record<string, unknown>) => lines.push({ message, meta }) } as unknown as Logger;
  return { logger, lines };
}

const at = (ms: number) => new Date(1_700_000_000_000 + ms);

describe('trace messages', () => {
  it('reads the trace context Debezium captured from the monolith’s transaction', () => {
    expect(parseTraceMessage(debeziumMessage())).toEqual({
      txId: 771,
      lsn: 24_023_128n,
      traceparent: TRACEPARENT,
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      committedAt: at(0),
    });
  });

  it('ignores other prefixes, malformed trace contexts and anything that is not a message', () => {
    expect(parseTraceMessage(debeziumMessage({ prefix: 'someone.else' }))).toBeUndefined();
    expect(parseTraceMessage(debeziumMessage({ content: Buffer.from('00-not-a-trace').toString('base64') }))).toBeUndefined();
    expect(parseTraceMessage(debeziumMessage({ op: 'c' }))).toBeUndefined();
    expect(parseTraceMessage({ value: Buffer.from('not json') })).toBeUndefined();
    expect(parseTraceMessage({ value: null })).toBeUndefined();
  });

  it('logs a traced write once, when its changes are applied, with the trace id and the lag, whichever arrives first', () => {
    const { logger, lines } = recordingLogger();
    const log = new TraceLog(logger);
    const trace = parseTraceMessage(debeziumMessage())!;

    log.appliedEvents([{ txId: 771, table: 'public.products', committedAt: at(0) }, { txId: 9, table: 'public.products', committedAt: at(0) }], at(140));
    expect(lines).toEqual([]);
    log.traced([trace]);
    log.traced([trace]);
    log.appliedEvents([{ txId: 771, table: 'public.products', committedAt: at(0) }], at(900));

    expect(lines).toEqual([
      {
        message: 'cdc change applied',
        meta: expect.objectContaining({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', txId: 771, tables: ['public.products'], lagMs: 140 }),
      },
    ]);
  });

  it('logs the trace when the message comes before the changes', () => {
    const { logger, lines } = recordingLogger();
    const log = new TraceLog(logger);
    log.traced([parseTraceMessage(debeziumMessage({ txId: 5 }))!]);
    log.appliedEvents([{ txId: 5, table: 'public.categories', committedAt: at(0) }, { txId: 5, table: 'public.products', committedAt: at(0) }], at(75));
    expect(lines.map((l) => l.meta)).toEqual([expect.objectContaining({ txId: 5, tables: ['public.categories', 'public.products'], lagMs: 75 })]);
  });

  it('keeps a bounded number of unmatched entries, forgetting the oldest', () => {
    const { logger, lines } = recordingLogger();
    const log = new TraceLog(logger, 2);
    for (const txId of [1, 2, 3]) log.traced([parseTraceMessage(debeziumMessage({ txId }))!]);
    log.appliedEvents([1, 2, 3].map((txId) => ({ txId, table: 'public.products', committedAt: at(0) })), at(10));
    expect(lines.map((l) => l.meta.txId)).toEqual([2, 3]);
  });
});
