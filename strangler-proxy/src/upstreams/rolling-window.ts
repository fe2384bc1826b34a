/** Request rate, error rate and latency percentiles of one upstream instance over the last window. */
export interface WindowSummary {
  requests: number;
  /** Requests per second over the window. */
  ratePerSecond: number;
  /** Share of failed requests, 0..1 (0 when there were none). */
  errorRate: number;
  p50Ms: number | null;
  p99Ms: number | null;
}

/**
 * The samples of the last `windowMs` (one minute by default), in arrival order; at most
 * `maxSamples` are kept, so under heavy load the percentiles come from the newest ones.
 */
export class RollingWindow {
  private at: number[] = [];
  private durations: number[] = [];
  private failed: boolean[] = [];

  constructor(
    private readonly windowMs = 60_000,
    private readonly maxSamples = 20_000,
    private readonly now: () => number = Date.now,
  ) {}

  record(durationMs: number, failed: boolean): void {
    this.at.push(this.now());
    this.durations.push(durationMs);
    this.failed.push(failed);
    if (this.at.length > this.maxSamples * 1.25) this.drop(this.at.length - this.maxSamples);
  }

  private drop(count: number): void {
    this.at = this.at.slice(count);
    this.durations = this.durations.slice(count);
    this.failed = this.failed.slice(count);
  }

  summary(): WindowSummary {
    const since = this.now() - this.windowMs;
    let first = 0;
    while (first < this.at.length && this.at[first]! < since) first++;
    if (first > 0) this.drop(first);
    const n = this.at.length;
    if (n === 0) return { requests: 0, ratePerSecond: 0, errorRate: 0, p50Ms: null, p99Ms: null };
    const sorted = [...this.durations].sort((a, b) => a - b);
    const pick = (q: number) => Math.round(sorted[Math.min(n - 1, Math.ceil(q * n) - 1)]! * 100) / 100;
    const failures = this.failed.filter(Boolean).length;
    return { requests: n, ratePerSecond: Math.round((n / (this.windowMs / 1000)) * 100) / 100, errorRate: failures / n, p50Ms: pick(0.5), p99Ms: pick(0.99) };
  }
}
