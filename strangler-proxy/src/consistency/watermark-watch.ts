import { formatLsn, parseLsn, type Logger } from '@strangler/platform';

/** What the proxy knows of one service's watermark (ADR-0021). */
export interface KnownWatermark {
  lsn: bigint;
  lagMs: number;
  /** When the proxy heard it. */
  at: number;
}

/** Where to ask a service for its watermark: a healthy instance's base URL, if there is one. */
export type InstanceUrl = () => URL | undefined;

interface Waiter {
  lsn: bigint;
  done(reached: boolean): void;
}

/**
 * One service's watermark as the proxy knows it. Reads waiting for a position share one long poll
 * (`GET /cdc/watermark?after=<known + 1>&waitMs=`) that answers each time the watermark moves; a
 * read whose position the known watermark already reached never causes a request. When the
 * service cannot be asked, every waiting read is told at once.
 */
export class WatermarkWatch {
  private known: KnownWatermark | undefined;
  private readonly waiters = new Set<Waiter>();
  private polling = false;
  private closed = false;
  private readonly longPollMs = 2_000;
  private timer: NodeJS.Timeout | undefined;
  private unreachable: string | undefined;

  constructor(
    readonly service: string,
    private readonly instance: InstanceUrl,
    private readonly logger: Logger,
  ) {}

  current(): KnownWatermark | undefined {
    return this.known;
  }

  /** True once the watermark reaches `lsn`; false after `timeoutMs` or at once when the service cannot be asked. */
  reach(lsn: bigint, timeoutMs: number): Promise<boolean> {
    if (this.known && this.known.lsn >= lsn) return Promise.resolve(true);
    if (timeoutMs <= 0 || this.closed || !this.instance()) return Promise.resolve(false);
    return new Promise((resolve) => {
      const waiter: Waiter = {
        lsn,
        done: (reached) => {
          clearTimeout(timer);
          this.waiters.delete(waiter);
          resolve(reached);
        },
      };
      const timer = setTimeout(() => waiter.done(false), timeoutMs);
      this.waiters.add(waiter);
      void this.poll();
    });
  }

  /** Asks the service now (no wait): its watermark, or undefined when it cannot say (logged once per problem). */
  async refresh(timeoutMs = 2_000): Promise<KnownWatermark | undefined> {
    try {
      await this.fetch(undefined, timeoutMs);
      if (this.unreachable) this.logger.info('the watermark of a service can be read again', { upstream: this.service });
      this.unreachable = undefined;
      return this.known;
    } catch (err) {
      const detail = err instanceof Error ? err.message : String(err);
      if (this.unreachable !== detail) this.logger.warn('cannot read the watermark of a service', { upstream: this.service, detail });
      this.unreachable = detail;
      return undefined;
    }
  }

  /** Keeps the known watermark (and lag) fresh for the status and the flips, one plain request per interval. */
  startPolling(intervalMs: number): void {
    const loop = () => {
      void this.refresh().finally(() => {
        if (!this.closed) this.timer = setTimeout(loop, intervalMs);
      });
    };
    loop();
  }

  /** The lag the service last reported, while that report is recent (under 5 s old); else undefined. */
  lagMs(now = Date.now()): number | undefined {
    return this.known && !this.unreachable && now - this.known.at < 5_000 ? this.known.lagMs : undefined;
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    for (const w of [...this.waiters]) w.done(false);
  }

  private async fetch(after: bigint | undefined, waitMs: number): Promise<void> {
    const base = this.instance();
    if (!base) throw new Error(`no healthy instance of ${this.service}`);
    const url = new URL('/cdc/watermark', base);
    if (after !== undefined) {
      url.searchParams.set('after', formatLsn(after));
      url.searchParams.set('waitMs', String(waitMs));
    }
    const res = await fetch(url, { signal: AbortSignal.timeout(waitMs + 2_000) });
    if (!res.ok) throw new Error(`${url.pathname} answered ${res.status}`);
    const body = (await res.json()) as { watermark?: { lsn?: string; lagMs?: number } | null };
    const lsn = parseLsn(body.watermark?.lsn);
    if (lsn === undefined || typeof body.watermark?.lagMs !== 'number') throw new Error(`${this.service} has no watermark yet`);
    if (!this.known || lsn >= this.known.lsn) this.known = { lsn, lagMs: body.watermark.lagMs, at: Date.now() };
    for (const w of [...this.waiters]) if (lsn >= w.lsn) w.done(true);
  }

  /** One long poll at a time while reads wait; each answer settles the reads it satisfies. */
  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      while (this.waiters.size > 0 && !this.closed) {
        const lowest = [...this.waiters].reduce((min, w) => (w.lsn < min ? w.lsn : min), [...this.waiters][0]!.lsn);
        try {
          await this.fetch(lowest, this.longPollMs);
        } catch (err) {
          this.logger.warn('a service cannot be asked for its watermark; reads waiting for it go to the monolith', { upstream: this.service, detail: err instanceof Error ? err.message : String(err) });
          for (const w of [...this.waiters]) w.done(false);
        }
      }
    } finally {
      this.polling = false;
    }
  }
}
