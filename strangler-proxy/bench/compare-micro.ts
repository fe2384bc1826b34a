// How long one comparison holds the proxy's event loop: the JSON parse and diff run on the loop
// (ADR-0023) against the answers handed to the comparison thread (ADR-0031), for a 1 KB answer and
// one near the 256 KiB limit. Synchronous time on the calling thread, so the machine's other load
// inflates it little: this is what a request that arrives meanwhile waits.
import { compareAnswers, type CapturedAnswer } from '@strangler/strangler-proxy/compare/answer-diff.js';
import { DiffThread } from '@strangler/strangler-proxy/compare/diff-thread.js';

export interface CompareMicroResult {
  bodyBytes: number;
  /** Median and maximum time on the event loop per comparison, µs. */
  onLoop: { medianUs: number; maxUs: number };
  onThread: { medianUs: number; maxUs: number };
}

/** Two answers that say the same in other bytes (keys in another order): the comparison must parse them. */
function pair(items: number): [CapturedAnswer, CapturedAnswer] {
  const own = (value: unknown) => {
    const text = Buffer.from(JSON.stringify(value));
    const body = Buffer.allocUnsafeSlow(text.length);
    text.copy(body);
    return { status: 200, headers: { 'content-type': 'application/json' }, body, truncated: false, durationMs: 1 };
  };
  const rows = Array.from({ length: items }, (_, i) => ({ id: i + 1, name: `product-${i + 1}`, price: 1999, tags: ['a', 'b'] }));
  return [own({ items: rows }), own({ items: rows.map(({ tags, price, name, id }) => ({ tags, price, name, id })) })];
}

const stats = (samples: number[]) => {
  const sorted = samples.sort((a, b) => a - b);
  return { medianUs: sorted[Math.floor(sorted.length / 2)]! * 1000, maxUs: sorted[sorted.length - 1]! * 1000 };
};

export async function compareMicrobenchmark(rounds = 200): Promise<CompareMicroResult[]> {
  const thread = new DiffThread(rounds);
  const results: CompareMicroResult[] = [];
  // Warm the thread (its start-up is once per proxy).
  await new Promise((done) => thread.diff({ legacy: pair(1)[0], next: pair(1)[1], ignore: [] }, done));
  for (const items of [14, 3500]) {
    const bodyBytes = pair(items)[0].body.length;
    const onLoop: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const [a, b] = pair(items);
      const started = performance.now();
      compareAnswers(a, b);
      onLoop.push(performance.now() - started);
    }
    const onThread: number[] = [];
    const replies: Promise<unknown>[] = [];
    for (let i = 0; i < rounds; i++) {
      const [a, b] = pair(items);
      const started = performance.now();
      replies.push(new Promise((done) => thread.diff({ legacy: a, next: b, ignore: [] }, done)));
      onThread.push(performance.now() - started);
      if (replies.length >= 20) await Promise.all(replies.splice(0));
    }
    await Promise.all(replies);
    results.push({ bodyBytes, onLoop: stats(onLoop.slice(rounds / 10)), onThread: stats(onThread.slice(rounds / 10)) });
  }
  await thread.close();
  return results;
}
