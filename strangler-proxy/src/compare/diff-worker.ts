// The comparison's worker thread (ADR-0031): parses and diffs the answers the proxy's event loop
// captured, so that a large or differing answer never holds up the users' requests.
import { parentPort } from 'node:worker_threads';
import type { WireJob, WireReply } from './diff-thread.js';
import { runDiff } from './diff-runner.js';

const revive = (a: WireJob['legacy']) => ({ ...a, body: Buffer.from(a.body), durationMs: 0 });

parentPort!.on('message', (job: WireJob) => {
  let reply: WireReply;
  try {
    reply = { id: job.id, ...runDiff({ legacy: revive(job.legacy), next: job.next && revive(job.next), again: job.again && revive(job.again), ignore: job.ignore }) };
  } catch (err) {
    reply = { id: job.id, error: err instanceof Error ? err.message : String(err) };
  }
  parentPort!.postMessage(reply);
});
