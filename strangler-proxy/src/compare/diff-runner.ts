import type { PathSegment } from '@strangler/manifests';
import { compareAnswers, type CapturedAnswer, type Comparison } from './answer-diff.js';

/** One comparison's work: the user's side and the copy's answers, and for a noise sample a second legacy answer. */
export interface DiffJob {
  legacy: CapturedAnswer;
  /** Absent when only the noise sample is to be compared (the copy failed). */
  next?: CapturedAnswer;
  again?: CapturedAnswer;
  ignore: readonly PathSegment[][];
}

export interface DiffResult {
  /** Legacy against new. */
  result?: Comparison;
  /** Legacy against legacy: what differs here is noise. */
  twice?: Comparison;
}

/** Where the JSON parsing and the structural diff run; `done` gets undefined when the job was not taken (queue full). */
export interface DiffRunner {
  diff(job: DiffJob, done: (outcome: DiffResult | Error | undefined) => void): void;
  close(): Promise<void>;
}

/** Both comparisons of a job (the worker thread's work, and the in-thread runner's). */
export function runDiff(job: DiffJob): DiffResult {
  return {
    result: job.next ? compareAnswers(job.legacy, job.next, job.ignore) : undefined,
    twice: job.again ? compareAnswers(job.legacy, job.again, job.ignore) : undefined,
  };
}

/** Runs the diff on the calling thread, at once (unit tests, and tools that compare outside the proxy). */
export const inThreadRunner: DiffRunner = {
  diff(job, done) {
    let outcome: DiffResult | Error;
    try {
      outcome = runDiff(job);
    } catch (err) {
      outcome = err instanceof Error ? err : new Error(String(err));
    }
    done(outcome);
  },
  close: async () => {},
};
