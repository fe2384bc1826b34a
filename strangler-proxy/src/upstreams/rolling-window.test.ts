import { describe, expect, it } from 'vitest';
import { RollingWindow } from './rolling-window.js';

describe('the one-minute window of an upstream instance', () => {
  it('gives rate, error rate and p50/p99 of the samples in the window', () => {
    const now = 1_000_000;
    const window = new RollingWindow(60_000, 1000, () => now);
    for (let i = 1; i <= 100; i++) window.record(i, i > 90);

    expect(window.summary()).toEqual({ requests: 100, ratePerSecond: 1.67, errorRate: 0.1, p50Ms: 50, p99Ms: 99 });
  });

  it('forgets samples older than the window', () => {
    let now = 0;
    const window = new RollingWindow(60_000, 1000, () => now);
    window.record(5, true);
    now = 61_000;
    window.record(7, false);

    expect(window.summary()).toMatchObject({ requests: 1, errorRate: 0, p50Ms: 7 });
  });

  it('is empty with no traffic', () => {
    expect(new RollingWindow().summary()).toEqual({ requests: 0, ratePerSecond: 0, errorRate: 0, p50Ms: null, p99Ms: null });
  });
});
