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

/** Requests of the last hour: served by the new service and by the monolith. */
export interface HourSummary {
  requests: number;
  new: number;
  legacy: number;
}

/** Requests to a method and path that no manifest claims (all served by the monolith). */
export interface UnclaimedRoute {
  method: string;
  /** The normalised path; `(other)` counts the paths beyond the first MAX_UNCLAIMED_PATHS. */
  path: string;
  lastMinute: number;
  lastHour: number;
}

/** Distinct unclaimed paths kept; beyond them requests are counted under `(other)`, so a scan cannot grow memory. */
export const MAX_UNCLAIMED_PATHS = 200;

const NEW = 0;
const LEGACY = 1;
const SHADOW = 2;
const KINDS = 3;

/** Counts per time slot in fixed arrays, reused as the clock goes round (a minute of seconds, an hour of minutes). */
class WindowCounts {
  /** The slot number (since the epoch) each slot counts, -1 for never. */
  private readonly stamps: Float64Array;
  private readonly counts: Uint32Array;

  constructor(
    private readonly slotMs: number,
    private readonly slots: number,
  ) {
    this.stamps = new Float64Array(slots).fill(-1);
    this.counts = new Uint32Array(slots * KINDS);
  }

  add(kind: number, nowMs: number): void {
    const stamp = Math.floor(nowMs / this.slotMs);
    const slot = stamp % this.slots;
    if (this.stamps[slot] !== stamp) {
      this.stamps[slot] = stamp;
      this.counts.fill(0, slot * KINDS, slot * KINDS + KINDS);
    }
    this.counts[slot * KINDS + kind]!++;
  }

  sum(kind: number, nowMs: number): number {
    const oldest = Math.floor(nowMs / this.slotMs) - this.slots;
    let total = 0;
    for (let slot = 0; slot < this.slots; slot++) if (this.stamps[slot]! > oldest) total += this.counts[slot * KINDS + kind]!;
    return total;
  }
}

class DomainCounts {
  readonly minute = new WindowCounts(1000, 60);
  readonly hour = new WindowCounts(60_000, 60);

  add(kind: number, nowMs: number): void {
    this.minute.add(kind, nowMs);
    this.hour.add(kind, nowMs);
  }
}

const share = (part: number, whole: number) => (whole === 0 ? 0 : Math.round((part / whole) * 1000) / 10);

/**
 * The traffic split per domain over the last minute and the last hour, and the requests to routes
 * no manifest claims. It sits on the proxy's hot path, so counting a request is a clock read and a
 * few typed-array writes, with nothing allocated for a known domain; the sums are made only when
 * the status is asked for.
 */
export class TrafficSplit {
  private readonly domains = new Map<string, DomainCounts>();
  private readonly unclaimedPaths = new Map<string, DomainCounts>();

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

  /** A request whose method and (normalised) path no manifest claims. */
  unclaimed(method: string, path: string): void {
    let key = `${method} ${path}`;
    let counts = this.unclaimedPaths.get(key);
    if (!counts) {
      if (this.unclaimedPaths.size >= MAX_UNCLAIMED_PATHS) {
        this.forgetQuietPaths();
        if (this.unclaimedPaths.size >= MAX_UNCLAIMED_PATHS) key = `${method} (other)`;
      }
      counts = this.unclaimedPaths.get(key) ?? new DomainCounts();
      this.unclaimedPaths.set(key, counts);
    }
    counts.add(LEGACY, this.now());
  }

  summary(domain: string): SplitSummary {
    const counts = this.domains.get(domain)?.minute;
    const now = this.now();
    const served = { new: counts?.sum(NEW, now) ?? 0, legacy: counts?.sum(LEGACY, now) ?? 0, shadow: counts?.sum(SHADOW, now) ?? 0 };
    const requests = served.new + served.legacy;
    return { requests, ...served, newPercent: share(served.new, requests), legacyPercent: share(served.legacy, requests) };
  }

  lastHour(domain: string): HourSummary {
    const counts = this.domains.get(domain)?.hour;
    const now = this.now();
    const served = { new: counts?.sum(NEW, now) ?? 0, legacy: counts?.sum(LEGACY, now) ?? 0 };
    return { requests: served.new + served.legacy, ...served };
  }

  /** Unclaimed methods and paths with requests in the last hour, busiest first. */
  unclaimedRoutes(): UnclaimedRoute[] {
    this.forgetQuietPaths();
    const now = this.now();
    return [...this.unclaimedPaths]
      .map(([key, counts]) => {
        const space = key.indexOf(' ');
        return { method: key.slice(0, space), path: key.slice(space + 1), lastMinute: counts.minute.sum(LEGACY, now), lastHour: counts.hour.sum(LEGACY, now) };
      })
      .sort((a, b) => b.lastHour - a.lastHour || a.path.localeCompare(b.path));
  }

  private forgetQuietPaths(): void {
    const now = this.now();
    for (const [key, counts] of this.unclaimedPaths) if (counts.hour.sum(LEGACY, now) === 0) this.unclaimedPaths.delete(key);
  }
}
