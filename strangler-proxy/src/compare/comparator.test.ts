import type { LoadedManifest } from '@strangler/manifests';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { RouteEntry } from '../routing/route-table.js';
import type { CapturedAnswer, CompareOutcome, Difference } from './answer-diff.js';
import { Comparator } from './comparator.js';
import type { DiffJob, DiffResult, DiffRunner } from './diff-runner.js';

const manifest = {
  domain: 'catalog',
  service: { name: 'catalog-service' },
  routes: [{ method: 'GET', path: '/api/products/:id' }],
  compare: { shadowRate: 1, sampleRate: 0, noiseRate: 0, maxBodyBytes: 1024, ignore: [{ paths: ['$.meta'] }] },
} as unknown as LoadedManifest;
const route = { domain: 'catalog', method: 'GET', template: '/api/products/:id' } as RouteEntry;

const answer = (body: unknown): CapturedAnswer => ({ status: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify(body)), truncated: false, durationMs: 1 });

function setup(runner?: DiffRunner) {
  const recorded: { outcome: CompareOutcome; differences: Difference[]; noise: string[] }[] = [];
  const registry = new Registry();
  const comparator = new Comparator([manifest], registry, { record: (_d, _r, outcome, differences, noise) => recorded.push({ outcome, differences, noise }) }, { warn: () => {} }, Math.random, runner);
  return { comparator, recorded, registry };
}

/** A runner that records the jobs it is given and answers as `answer` says. */
function fakeRunner(answer: (job: DiffJob) => DiffResult | undefined) {
  const jobs: DiffJob[] = [];
  const runner: DiffRunner = { diff: (job, done) => (jobs.push(job), done(answer(job))), close: async () => {} };
  return { runner, jobs };
}

describe('the comparator', () => {
  it('compares safe requests without a body at shadow only, unless the manifest samples canary and new', () => {
    const { comparator } = setup();
    expect(comparator.plan(route, 'GET', 'shadow', true, 'legacy', false, 't')?.copySide).toBe('new');
    expect(comparator.plan(route, 'POST', 'shadow', true, 'legacy', true, 't')).toBeUndefined();
    expect(comparator.plan(route, 'GET', 'canary', false, 'new', false, 't')).toBeUndefined();
    expect(comparator.plan(route, 'GET', 'legacy', false, 'legacy', false, 't')).toBeUndefined();
  });

  it('learns from two legacy answers which paths are noise, and counts a difference only in them as equal', () => {
    const { comparator, recorded } = setup();
    const pending = comparator.plan(route, 'GET', 'shadow', true, 'legacy', false, 't')!;
    comparator.finish(pending, answer({ price: 1, at: 'a', meta: 1 }), answer({ price: 1, at: 'c', meta: 2 }), answer({ price: 1, at: 'b', meta: 3 }));
    comparator.finish(pending, answer({ price: 1, at: 'd' }), answer({ price: 2, at: 'e' }), undefined);
    expect(recorded).toEqual([
      { outcome: 'equal', differences: [], noise: ['$.at'] },
      { outcome: 'different', differences: [expect.objectContaining({ path: '$.price', legacy: 1, new: 2 })], noise: ['$.at'] },
    ]);
  });

  it('counts a comparison whose copy failed as failed', () => {
    const { comparator, recorded } = setup();
    const pending = comparator.plan(route, 'GET', 'shadow', true, 'legacy', false, 't')!;
    comparator.finish(pending, answer({}), new Error('ECONNRESET'), undefined);
    expect(recorded[0]?.outcome).toBe('failed');
  });

  it('judges answers equal byte for byte at once, without parsing them on the runner', () => {
    const { runner, jobs } = fakeRunner(() => ({}));
    const { comparator, recorded } = setup(runner);
    const pending = comparator.plan(route, 'GET', 'shadow', true, 'legacy', false, 't')!;
    comparator.finish(pending, answer({ price: 1 }), answer({ price: 1 }), answer({ price: 1 }));
    expect(jobs).toHaveLength(0);
    expect(recorded).toEqual([{ outcome: 'equal', differences: [], noise: [] }]);
  });

  it('sends only the comparisons whose bytes differ to the runner', () => {
    const { runner, jobs } = fakeRunner(() => ({ result: { outcome: 'equal', differences: [] } }));
    const { comparator, recorded } = setup(runner);
    const pending = comparator.plan(route, 'GET', 'shadow', true, 'legacy', false, 't')!;
    comparator.finish(pending, answer({ price: 1, id: 2 }), answer({ id: 2, price: 1 }), answer({ price: 1, id: 2 }));
    expect(jobs.map((j) => [j.next !== undefined, j.again !== undefined])).toEqual([[true, false]]);
    expect(recorded[0]?.outcome).toBe('equal');
  });

  it('counts a comparison the runner could not take as dropped, and records nothing for it', async () => {
    const { runner } = fakeRunner(() => undefined);
    const { comparator, recorded, registry } = setup(runner);
    const pending = comparator.plan(route, 'GET', 'shadow', true, 'legacy', false, 't')!;
    comparator.finish(pending, answer({ price: 1 }), answer({ price: 2 }), undefined);
    expect(recorded).toEqual([]);
    expect(await registry.getSingleMetricAsString('strangler_compare_dropped_total')).toMatch(/domain="catalog",reason="queue_full"} 1/);
  });
});
