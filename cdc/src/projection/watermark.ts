import { EventEmitter } from 'node:events';
import type { Logger } from '@strangler/platform';
import type { PartitionPosition } from './projection.js';

/**
 * A service's watermark (ADR-0021): every transaction that committed in the monolith before `lsn`
 * has been applied by the service (or dead-lettered), across all its topics and partitions.
 */
export interface Watermark {
  lsn: bigint;
  /** Commit time in the monolith of the newest change at or below the watermark. */
  committedAt: Date;
  /** When the watermark last reached this position. */
  reachedAt: Date;
}

/** The next offset of a partition (Kafka's log-end offset): everything below it has been written. */
export interface PartitionEnd {
  topic: string;
  partition: number;
  end: bigint;
}

/** A watermark not yet proven: valid once every partition has applied everything below `ends`. */
interface Candidate {
  lsn: bigint;
  committedAt: Date;
  ends: PartitionEnd[];
}

/** The shortest time between two computations (each reads the positions and the log-end offsets). */
const MIN_GAP_MS = 100;

const key = (p: { topic: string; partition: number }) => `${p.topic}/${p.partition}`;

/**
 * True when every partition has applied up to its end in `ends`: the positions hold an offset at
 * least `end - 1` for each partition that had messages. A partition never written (end 0) is empty.
 */
export function reachedEnds(ends: PartitionEnd[], positions: PartitionPosition[]): boolean {
  const applied = new Map(positions.map((p) => [key(p), BigInt(p.offset)]));
  return ends.every((e) => e.end === 0n || (applied.get(key(e)) ?? -1n) >= e.end - 1n);
}

/** The highest LSN applied over all partitions, with the newest commit time, or undefined before the first change. */
export function highestApplied(positions: PartitionPosition[]): { lsn: bigint; committedAt: Date } | undefined {
  let best: { lsn: bigint; committedAt: Date } | undefined;
  for (const p of positions) {
    if (p.lsn === null || p.committedAt === null) continue;
    if (!best || p.lsn > best.lsn) best = { lsn: p.lsn, committedAt: best && best.committedAt > p.committedAt ? best.committedAt : p.committedAt };
    else if (p.committedAt > best.committedAt) best = { ...best, committedAt: p.committedAt };
  }
  return best;
}

export interface WatermarkTrackerOptions {
  /** The positions recorded with the data, of every partition (all instances of the service write them). */
  positions(): Promise<PartitionPosition[]>;
  /** The log-end offsets of every partition of the service's topics. */
  ends(): Promise<PartitionEnd[]>;
  /** How often the watermark is recomputed. */
  intervalMs: number;
  logger: Logger;
}

/**
 * Computes a service's watermark from its stored positions and Kafka's log-end offsets.
 *
 * Debezium emits the monolith's transactions in commit order. When the highest LSN applied on any
 * partition is M, every transaction that committed before M was emitted before that change, so it
 * was written to its partition before the change was applied. Reading the log-end offsets after
 * reading M therefore covers all of them: once every partition has applied up to those ends, M is
 * the watermark. Heartbeats (a row Debezium updates every `heartbeat.interval.ms`) keep M moving
 * while the captured tables are idle.
 */
export class WatermarkTracker {
  private watermark: Watermark | undefined;
  private pending: Candidate[] = [];
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private lastTick = 0;
  private failing: string | null = null;
  private readonly advanced = new EventEmitter();

  constructor(private readonly options: WatermarkTrackerOptions) {
    this.advanced.setMaxListeners(0);
  }

  current(): Watermark | undefined {
    return this.watermark;
  }

  /** Why the last computation failed (Kafka or the database unreachable), or null. */
  problem(): string | null {
    return this.failing;
  }

  /** Milliseconds between the commit at the watermark and `now`; undefined before the first watermark. */
  lagMs(now = new Date()): number | undefined {
    return this.watermark ? Math.max(0, now.getTime() - this.watermark.committedAt.getTime()) : undefined;
  }

  /** Resolves with the watermark once it reaches `lsn`, or with undefined after `timeoutMs`. */
  waitFor(lsn: bigint, timeoutMs: number): Promise<Watermark | undefined> {
    if (this.watermark && this.watermark.lsn >= lsn) return Promise.resolve(this.watermark);
    return new Promise((resolve) => {
      const onAdvance = (w: Watermark) => {
        if (w.lsn < lsn) return;
        clearTimeout(timer);
        this.advanced.off('advance', onAdvance);
        resolve(w);
      };
      const timer = setTimeout(() => {
        this.advanced.off('advance', onAdvance);
        resolve(undefined);
      }, timeoutMs);
      this.advanced.on('advance', onAdvance);
    });
  }

  start(): void {
    this.schedule(0);
  }

  /** Recompute soon (a batch was applied): the watermark follows the data rather than the interval. */
  nudge(): void {
    if (this.timer === undefined) return;
    if (this.running) this.again = true;
    else this.schedule(this.gap());
  }

  /** At most one computation per MIN_GAP_MS, however many batches arrive. */
  private gap(): number {
    return Math.max(0, this.lastTick + MIN_GAP_MS - Date.now());
  }

  private schedule(delayMs: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.again = false;
      this.running = this.tick().finally(() => {
        this.running = undefined;
        this.lastTick = Date.now();
        if (this.timer !== undefined) this.schedule(this.again ? this.gap() : this.options.intervalMs);
      });
    }, delayMs);
  }

  /** Stops computing; waits at most a second for a computation in flight (Kafka may be going away too). */
  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    let grace: NodeJS.Timeout | undefined;
    await Promise.race([this.running, new Promise<void>((done) => (grace = setTimeout(done, 1_000)))]);
    clearTimeout(grace);
  }

  /** One step: promote the newest candidate the positions now prove, then take a new candidate. */
  async tick(): Promise<void> {
    try {
      const positions = await this.options.positions();
      const proven = this.pending.findLast((c) => reachedEnds(c.ends, positions));
      if (proven) {
        this.pending = this.pending.filter((c) => c.lsn > proven.lsn);
        this.advance(proven);
      }
      const highest = highestApplied(positions);
      const known = this.pending.at(-1)?.lsn ?? this.watermark?.lsn ?? -1n;
      if (highest && highest.lsn > known) {
        // Read after the positions: every change emitted before `highest` is below these ends.
        const ends = await this.options.ends();
        const candidate = { ...highest, ends };
        // Already proven when the positions read before the ends had applied up to them.
        if (reachedEnds(ends, positions)) {
          this.pending = [];
          this.advance(candidate);
        } else {
          this.pending.push(candidate);
          // A projection far behind would pile candidates up: the oldest ones are enough.
          if (this.pending.length > 100) this.pending.splice(50, 1);
        }
      }
      if (this.failing) this.options.logger.info('watermark computed again', { previously: this.failing });
      this.failing = null;
    } catch (err) {
      const detail = err instanceof Error ? err.message : String(err);
      if (this.failing !== detail) this.options.logger.warn('cannot compute the watermark now; it stays where it is', { detail });
      this.failing = detail;
    }
  }

  private advance(candidate: Candidate): void {
    if (this.watermark && candidate.lsn <= this.watermark.lsn) return;
    this.watermark = { lsn: candidate.lsn, committedAt: candidate.committedAt, reachedAt: new Date() };
    this.advanced.emit('advance', this.watermark);
  }
}
