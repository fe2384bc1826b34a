import { guardSchema, type LoadedManifest, type Position } from '@strangler/manifests';
import type { Alert } from '@strangler/platform';
import { describe, expect, it } from 'vitest';
import { Guards, judge, type GuardFlips } from './guard.js';

const guard = guardSchema.parse({ maxErrorRate: 0.05, maxP99Ratio: 2, maxDiffRate: 0.01, minRequests: 10, windowSeconds: 60, evaluateEverySeconds: 5, promotion: { steps: [5, 25, 50, 100], intervalSeconds: 60 } });
const manifest = { domain: 'catalog', adr: 9, service: { name: 'catalog-service' }, stages: ['legacy', 'shadow', 'canary', 'new'], routes: [], guard } as unknown as LoadedManifest;

function setup(position: Position) {
  let now = 1_000_000;
  const alerts: Alert[] = [];
  const calls: { expected: Position; to: Position | 'back'; reason: string; evidence: Record<string, unknown> }[] = [];
  const flips: GuardFlips = {
    automatic: async (_domain, expected, to, _actor, reason, evidence) => {
      calls.push({ expected, to, reason, evidence });
      const target = to === 'back' ? { stage: 'shadow' as const, percentage: 0 } : to;
      return { to: target, audit: { id: calls.length } };
    },
  };
  const state = { position };
  const guards = new Guards([manifest], { positionOf: () => state.position, flips, alerts: { raise: (a) => alerts.push(a) }, logger: { info: () => {}, warn: () => {}, error: () => {} }, now: () => now });
  return { guards, alerts, calls, state, advance: (ms: number) => (now += ms) };
}

describe('judging a window', () => {
  const ok = { windowSeconds: 60, newRequests: 100, errorRate: 0, newP99Ms: 10, legacyP99Ms: 10, p99Ratio: 1, compared: 100, diffRate: 0 };

  it('names each limit passed with the measured value', () => {
    expect(judge(guard, { ...ok, errorRate: 0.2 }).breaches).toEqual(['5xx share 20% over maxErrorRate 5%']);
    expect(judge(guard, { ...ok, newP99Ms: 50, p99Ratio: 5 }).breaches[0]).toMatch(/p99 50 ms is 5× legacy's 10 ms, over maxP99Ratio 2/);
    expect(judge(guard, { ...ok, diffRate: 0.3 }).breaches).toEqual(['diff rate 30% over maxDiffRate 1%']);
  });

  it('decides nothing before minRequests', () => {
    expect(judge(guard, { ...ok, newRequests: 9, compared: 9, errorRate: 1, diffRate: 1 })).toEqual({ undecided: true, breaches: [] });
  });
});

describe('a guarded domain', () => {
  it('at canary with failing answers is rolled back one stage, with the evidence, and both alerts are raised', async () => {
    const { guards, alerts, calls } = setup({ stage: 'canary', percentage: 25 });
    for (let i = 0; i < 20; i++) guards.observe('catalog', 'new', 5, i % 2 === 0);
    await guards.evaluate('catalog');
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ expected: { stage: 'canary', percentage: 25 }, to: 'back' });
    expect(calls[0]!.evidence).toMatchObject({ errorRate: 0.5, newRequests: 20, windowSeconds: 60, limits: { maxErrorRate: 0.05 } });
    expect(alerts.map((a) => a.kind)).toEqual(['guard_breach', 'automatic_rollback']);
  });

  it('is rolled back on the diff rate of its comparisons', async () => {
    const { guards, calls } = setup({ stage: 'shadow', percentage: 0 });
    for (let i = 0; i < 20; i++) guards.compared('catalog', i < 5 ? 'different' : 'equal');
    await guards.evaluate('catalog');
    expect(calls[0]?.reason).toMatch(/diff rate 25% over maxDiffRate 1%/);
  });

  it('at canary that holds is promoted to the next step only after the interval', async () => {
    const { guards, calls, advance } = setup({ stage: 'canary', percentage: 5 });
    for (let i = 0; i < 20; i++) guards.observe('catalog', 'new', 5, false);
    await guards.evaluate('catalog');
    expect(calls).toEqual([]);
    advance(61_000);
    for (let i = 0; i < 20; i++) guards.observe('catalog', 'new', 5, false);
    await guards.evaluate('catalog');
    expect(calls.map((c) => c.to)).toEqual([{ stage: 'canary', percentage: 25 }]);
  });

  it('at legacy is not judged', async () => {
    const { guards, calls, alerts } = setup({ stage: 'legacy', percentage: 0 });
    for (let i = 0; i < 20; i++) guards.observe('catalog', 'new', 5, true);
    await guards.evaluate('catalog');
    expect(calls).toEqual([]);
    expect(alerts).toEqual([]);
  });
});
