import { describe, expect, it } from 'vitest';
import type { CapturedAnswer } from './answer-diff.js';
import type { DiffResult } from './diff-runner.js';
import { DiffThread } from './diff-thread.js';

/** An answer whose body owns its memory, as captureAnswer makes them. */
function answer(body: unknown): CapturedAnswer {
  const text = Buffer.from(JSON.stringify(body));
  const own = Buffer.allocUnsafeSlow(text.length);
  text.copy(own);
  return { status: 200, headers: { 'content-type': 'application/json', date: 'x' }, body: own, truncated: false, durationMs: 1 };
}

const diffed = (thread: DiffThread, job: Parameters<DiffThread['diff']>[0]) => new Promise<DiffResult | Error | undefined>((done) => thread.diff(job, done));

describe('the comparison thread', () => {
  it('diffs both comparisons of a job on the worker thread, the bodies moved there rather than copied', async () => {
    const thread = new DiffThread(8);
    const legacy = answer({ price: 1, at: 'a' });
    const pending = diffed(thread, { legacy, next: answer({ price: 2, at: 'a' }), again: answer({ price: 1, at: 'b' }), ignore: [] });
    expect(legacy.body.length).toBe(0);
    const outcome = (await pending) as DiffResult;
    expect(outcome.result?.differences.map((d) => [d.path, d.legacy, d.new])).toEqual([['$.price', 1, 2]]);
    expect(outcome.twice?.differences.map((d) => d.pattern)).toEqual(['$.at']);
    await thread.close();
  });

  it('takes no job over its queue limit: the job ends without a result, to be counted as dropped', async () => {
    const thread = new DiffThread(1);
    const first = diffed(thread, { legacy: answer({ a: 1 }), next: answer({ a: 2 }), ignore: [] });
    const second = await diffed(thread, { legacy: answer({ a: 1 }), next: answer({ a: 3 }), ignore: [] });
    expect(second).toBeUndefined();
    expect(((await first) as DiffResult).result?.outcome).toBe('different');
    expect(thread.queued).toBe(0);
    await thread.close();
  });
});
