// The parent's side of the benchmarks' load generator (writer-process.ts runs in a child process).
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

/** One paced run of inserts of products `<runId>-<n>` into the monolith's database at `url`. */
export interface WriteJob {
  url: string;
  categoryId: string;
  runId: string;
  rate: number;
  seconds: number;
}

/** What the writer process sends back: commit acknowledgements (sku, wall-clock ms) as they come, then the run's totals. */
export type WriterReport = { kind: 'commits'; commits: Array<[string, number]> } | { kind: 'done'; committed: number; elapsedS: number; cpuS: number };

export interface WriteOutcome {
  committed: number;
  elapsedS: number;
  /** CPU seconds the writer process used during the run. */
  cpuS: number;
}

export interface Writer {
  run(job: WriteJob, onCommit: (sku: string, at: number) => void): Promise<WriteOutcome>;
  stop(): Promise<void>;
}

/** Wall-clock milliseconds with sub-millisecond precision: the clock both processes share. */
export const wallClock = () => performance.timeOrigin + performance.now();

export function startWriter(): Writer {
  const child: ChildProcess = fork(join(import.meta.dirname, 'writer-process.js'), { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  return {
    run: (job, onCommit) =>
      new Promise<WriteOutcome>((resolveRun, reject) => {
        const onExit = (code: number | null) => reject(new Error(`the writer process exited (${code}) during a run`));
        const onMessage = (report: WriterReport) => {
          if (report.kind === 'commits') {
            for (const [sku, at] of report.commits) onCommit(sku, at);
            return;
          }
          child.off('message', onMessage);
          child.off('exit', onExit);
          resolveRun({ committed: report.committed, elapsedS: report.elapsedS, cpuS: report.cpuS });
        };
        child.on('message', onMessage);
        child.once('exit', onExit);
        child.send(job);
      }),
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.send('exit');
      await exited;
    },
  };
}
