/** One domain's requests over the last minute: served by its new service, by the monolith, and shadow copies sent. */
export interface SplitSummary {
  /** Requests served by either side (answers the proxy gave itself, such as a 503, are not counted). */
  requests: number;
  new: number;
  legacy: number;
  shadow: number;
  /** Shares of `requests`, 0-100 with one decimal (0 with no requests). */
  newPercent: number;
  legacyPercent: number;
}

const SECONDS = 60;
const NEW = 0;
const LEGACY = 1;
const SHADOW = 2;
const KINDS = 3;

/** Counts per second in fixed arrays, one slot a second for a minute, reused as the clock goes round. */
class DomainCounts {
  /** The second (since the epoch) each slot counts, -1 for never. */
  private readonly seconds = new Float64Array(SECONDS).fill(-1);
  private readonly counts = new Uint32Array(SECONDS * KINDS);

  add(kind: number, nowMs: number): void {
    const second = Math.floor(nowMs / 1000);
    const slot = second % SECONDS;
    if (this.seconds[slot] !== second) {
      this.seconds[slot] = second;
      this.counts.fill(0, slot * KINDS, slot * KINDS + KINDS);
    }
    this.counts[slot * KINDS + kind]!++;
  }

  sum(kind: number, nowMs: number): number {
    const oldest = Math.floor(nowMs / 1000) - SECONDS;
    let total = 0;
    for (let slot = 0; slot < SECONDS; slot++) if (this.seconds[slot]! > oldest) total += this.counts[slot * KINDS + kind]!;
    return total;
  }
}

const share = (part: number, whole: number) => (whole === 0 ? 0 : Math.round((part / whole) * 1000) / 10);

/**
 * The traffic split per domain over the last minute. It sits on the proxy's hot path, so counting
 * a request is a clock read and a couple of typed-array writes, with nothing allocated; the sums
 * are made only when the status is asked for.
 */
export class TrafficSplit {
  private readonly domains = new Map<string, DomainCounts>();

  constructor(
    domains: string[],
    private readonly now: () => number = Date.now,
  ) {
    for (const domain of domains) this.domains.set(domain, new DomainCounts());
  }

  /** A request of the domain's routes answered by its new service (`new`) or by the monolith. */
  served(domain: string, side: 'new' | 'legacy'): void {
    this.domains.get(domain)?.add(side === 'new' ? NEW : LEGACY, this.now());
  }

  /** A copy of a request sent to the domain's new service in shadow stage. */
  mirrored(domain: string): void {
    this.domains.get(domain)?.add(SHADOW, this.now());
  }

  summary(domain: string): SplitSummary {
    const counts = this.domains.get(domain);
    const now = this.now();
    const served = { new: counts?.sum(NEW, now) ?? 0, legacy: counts?.sum(LEGACY, now) ?? 0, shadow: counts?.sum(SHADOW, now) ?? 0 };
    const requests = served.new + served.legacy;
    return { requests, ...served, newPercent: share(served.new, requests), legacyPercent: share(served.legacy, requests) };
  }
}
