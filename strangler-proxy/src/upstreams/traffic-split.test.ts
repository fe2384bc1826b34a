import { describe, expect, it } from 'vitest';
import { MAX_UNCLAIMED_PATHS, TrafficSplit } from './traffic-split.js';

describe('the traffic split of a domain over the last minute', () => {
  it('counts requests served by the new service and by the monolith, and shadow copies, with their shares', () => {
    const split = new TrafficSplit(['catalog'], () => 1_000_000);
    for (let i = 0; i < 24; i++) split.served('catalog', 'new');
    for (let i = 0; i < 76; i++) split.served('catalog', 'legacy');
    for (let i = 0; i < 5; i++) split.mirrored('catalog');

    expect(split.summary('catalog')).toEqual({ requests: 100, new: 24, legacy: 76, shadow: 5, newPercent: 24, legacyPercent: 76 });
  });

  it('forgets requests older than a minute, even when their slot of the clock comes round again', () => {
    let now = 0;
    const split = new TrafficSplit(['catalog'], () => now);
    split.served('catalog', 'new');
    now = 30_000;
    split.served('catalog', 'legacy');
    now = 60_500;
    split.served('catalog', 'legacy');

    expect(split.summary('catalog')).toMatchObject({ requests: 2, new: 0, legacy: 2 });
    now = 91_000;
    expect(split.summary('catalog')).toMatchObject({ requests: 1, legacy: 1 });
  });

  it('is empty for a domain without traffic, and ignores a domain it does not know', () => {
    const split = new TrafficSplit(['catalog']);
    split.served('billing', 'new');

    expect(split.summary('catalog')).toEqual({ requests: 0, new: 0, legacy: 0, shadow: 0, newPercent: 0, legacyPercent: 0 });
    expect(split.summary('billing')).toMatchObject({ requests: 0 });
  });
});

describe('the traffic of the last hour', () => {
  it('counts each side per domain for an hour, then forgets', () => {
    let now = 0;
    const split = new TrafficSplit(['catalog'], () => now);
    split.served('catalog', 'new');
    now = 30 * 60_000;
    split.served('catalog', 'legacy');
    split.served('catalog', 'legacy');

    expect(split.lastHour('catalog')).toEqual({ requests: 3, new: 1, legacy: 2 });
    expect(split.summary('catalog')).toMatchObject({ requests: 2 });
    now = 61 * 60_000;
    expect(split.lastHour('catalog')).toEqual({ requests: 2, new: 0, legacy: 2 });
  });
});

describe('requests to routes no manifest claims', () => {
  it('are listed per method and path, busiest first', () => {
    const split = new TrafficSplit(['catalog'], () => 5_000);
    split.unclaimed('GET', '/healthz');
    split.unclaimed('GET', '/api/reviews');
    split.unclaimed('GET', '/api/reviews');

    expect(split.unclaimedRoutes()).toEqual([
      { method: 'GET', path: '/api/reviews', lastMinute: 2, lastHour: 2 },
      { method: 'GET', path: '/healthz', lastMinute: 1, lastHour: 1 },
    ]);
  });

  it('keep at most MAX_UNCLAIMED_PATHS paths and count the rest together', () => {
    const split = new TrafficSplit([], () => 5_000);
    for (let i = 0; i < MAX_UNCLAIMED_PATHS + 10; i++) split.unclaimed('GET', `/scan/${i}`);

    const listed = split.unclaimedRoutes();
    expect(listed).toHaveLength(MAX_UNCLAIMED_PATHS + 1);
    expect(listed[0]).toEqual({ method: 'GET', path: '(other)', lastMinute: 10, lastHour: 10 });
  });

  it('forget a path without requests in the last hour', () => {
    let now = 0;
    const split = new TrafficSplit([], () => now);
    split.unclaimed('GET', '/old');
    now = 61 * 60_000;
    expect(split.unclaimedRoutes()).toEqual([]);
  });
});
