import { parseTraceparent, TRACE_MESSAGE_PREFIX, type Logger } from '@strangler/platform';
import type { KafkaMessage } from 'kafkajs';
import type { ChangeEvent } from './change-event.js';

/**
 * The trace context of one write in the monolith, as Debezium captured it: a transactional logical
 * decoding message (`pg_logical_emit_message(true, 'strangler.trace', traceparent)`) written in the
 * same transaction as the change (ADR-0026).
 */
export interface TraceMessage {
  /** The monolith's transaction id, which the transaction's change events carry too (`source.txId`). */
  txId: number;
  lsn: bigint;
  traceparent: string;
  traceId: string;
  committedAt: Date;
}

interface MessageEnvelope {
  op?: unknown;
  source?: { txId?: unknown; lsn?: unknown; ts_ms?: unknown };
  message?: { prefix?: unknown; content?: unknown };
}

/** The message's content: base64 bytes with the JSON converter's default binary handling, or plain text. */
function decodeContent(content: unknown): string | undefined {
  if (typeof content !== 'string') return undefined;
  if (parseTraceparent(content)) return content;
  const decoded = Buffer.from(content, 'base64').toString('utf8');
  return parseTraceparent(decoded) ? decoded : undefined;
}

/**
 * Reads one message of Debezium's message topic. Anything else (another prefix, a message outside a
 * transaction, a malformed trace context) gives undefined: a trace is evidence for people, never a
 * reason to stop a projection.
 */
export function parseTraceMessage(message: Pick<KafkaMessage, 'value'>): TraceMessage | undefined {
  if (!message.value || message.value.length === 0) return undefined;
  let envelope: MessageEnvelope;
  try {
    envelope = JSON.parse(message.value.toString('utf8')) as MessageEnvelope;
  } catch {
    return undefined;
  }
  if (envelope?.op !== 'm' || envelope.message?.prefix !== TRACE_MESSAGE_PREFIX) return undefined;
  const { txId, lsn, ts_ms: committedAt } = envelope.source ?? {};
  const traceparent = decodeContent(envelope.message.content);
  if (typeof txId !== 'number' || typeof lsn !== 'number' || typeof committedAt !== 'number' || !traceparent) return undefined;
  return { txId, lsn: BigInt(lsn), traceparent, traceId: parseTraceparent(traceparent)!.traceId, committedAt: new Date(committedAt) };
}

interface Applied {
  appliedAt: Date;
  committedAt: Date;
  tables: Set<string>;
}

/**
 * Joins the trace messages with the changes the projection applied, by the monolith's transaction
 * id, and logs each traced write once, when both are known: "cdc change applied" with the trace id
 * of the request behind it and the lag from commit to apply. The two arrive on different topics in
 * either order, so each side waits for the other in a bounded map (the oldest entries go first).
 */
export class TraceLog {
  private readonly traces = new Map<number, TraceMessage>();
  private readonly applied = new Map<number, Applied>();
  /** Transactions already logged: a message or change delivered again (at least once) is not logged twice. */
  private readonly logged = new Map<number, true>();

  constructor(
    private readonly logger: Logger,
    private readonly maxPending = 10_000,
  ) {}

  /** Trace messages read from the message topic. */
  traced(messages: TraceMessage[]): void {
    for (const trace of messages) {
      if (this.logged.has(trace.txId)) continue;
      const applied = this.applied.get(trace.txId);
      if (applied) {
        this.applied.delete(trace.txId);
        this.log(trace, applied);
      } else remember(this.traces, trace.txId, trace, this.maxPending);
    }
  }

  /** Changes the projection applied at `appliedAt` (stale replays included: they are applied by then). */
  appliedEvents(events: (Partial<Pick<ChangeEvent, 'txId' | 'table'>> & Pick<ChangeEvent, 'committedAt'>)[], appliedAt: Date): void {
    const byTx = new Map<number, Applied>();
    for (const event of events) {
      // Only Debezium change events of the monolith carry a transaction id and a table.
      if (event.txId === undefined || event.txId === null || event.table === undefined) continue;
      const entry = byTx.get(event.txId) ?? { appliedAt, committedAt: event.committedAt, tables: new Set<string>() };
      entry.tables.add(event.table);
      byTx.set(event.txId, entry);
    }
    for (const [txId, entry] of byTx) {
      if (this.logged.has(txId)) continue;
      const trace = this.traces.get(txId);
      if (trace) {
        this.traces.delete(txId);
        this.log(trace, entry);
      } else if (!this.applied.has(txId)) remember(this.applied, txId, entry, this.maxPending);
    }
  }

  private log(trace: TraceMessage, applied: Applied): void {
    remember(this.logged, trace.txId, true, this.maxPending);
    this.logger.info('cdc change applied', {
      traceId: trace.traceId,
      traceparent: trace.traceparent,
      txId: trace.txId,
      lsn: trace.lsn.toString(),
      tables: [...applied.tables].sort(),
      committedAt: applied.committedAt.toISOString(),
      lagMs: Math.max(0, applied.appliedAt.getTime() - applied.committedAt.getTime()),
    });
  }
}

function remember<V>(map: Map<number, V>, key: number, value: V, max: number): void {
  map.set(key, value);
  if (map.size > max) map.delete(map.keys().next().value!);
}
