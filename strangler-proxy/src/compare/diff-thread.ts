import type { IncomingHttpHeaders } from 'node:http';
import { Worker } from 'node:worker_threads';
import type { PathSegment } from '@strangler/manifests';
import { COMPARED_HEADERS, type CapturedAnswer, type Comparison } from './answer-diff.js';
import type { DiffJob, DiffResult, DiffRunner } from './diff-runner.js';

/** An answer as sent to the worker: the compared headers only, the body's memory transferred (not copied) when it owns it. */
interface WireAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: ArrayBuffer;
  truncated: boolean;
}

export interface WireJob {
  id: number;
  legacy: WireAnswer;
  next?: WireAnswer;
  again?: WireAnswer;
  ignore: readonly PathSegment[][];
}

export type WireReply = { id: number; error: string } | { id: number; error?: undefined; result?: Comparison; twice?: Comparison };

// Tests run the TypeScript sources: the worker is then taken from the build (npm run build).
const WORKER_SCRIPT = new URL(import.meta.url.endsWith('.ts') ? '../../dist/compare/diff-worker.js' : './diff-worker.js', import.meta.url);

function toWire(answer: CapturedAnswer, transfer: ArrayBuffer[]): WireAnswer {
  const headers: IncomingHttpHeaders = {};
  for (const name of COMPARED_HEADERS) if (answer.headers[name] !== undefined) headers[name] = answer.headers[name];
  const { body } = answer;
  let memory: ArrayBuffer;
  if (body.byteOffset === 0 && body.byteLength === body.buffer.byteLength && body.buffer instanceof ArrayBuffer) {
    memory = body.buffer; // a capture's own buffer (captureAnswer): moved to the worker
    transfer.push(memory);
  } else memory = new Uint8Array(body).buffer; // part of a shared pool: copied, the pool stays here
  return { status: answer.status, headers, body: memory, truncated: answer.truncated };
}

/**
 * Runs the comparisons' JSON parsing and diff on one worker thread, off the proxy's event loop.
 * At most `maxQueued` jobs wait for it; a job over that is not taken (`done(undefined)`): the
 * caller counts it as dropped, the queue never grows without bound. A worker that fails is
 * replaced at the next job; the jobs it held end with its error.
 */
export class DiffThread implements DiffRunner {
  private worker: Worker | undefined;
  private nextId = 0;
  private readonly waiting = new Map<number, (outcome: DiffResult | Error | undefined) => void>();

  constructor(private readonly maxQueued: number) {}

  /** Jobs sent and not answered yet. */
  get queued(): number {
    return this.waiting.size;
  }

  diff(job: DiffJob, done: (outcome: DiffResult | Error | undefined) => void): void {
    if (this.waiting.size >= this.maxQueued) {
      done(undefined);
      return;
    }
    const worker = (this.worker ??= this.start());
    const id = this.nextId++;
    const transfer: ArrayBuffer[] = [];
    const wire: WireJob = { id, legacy: toWire(job.legacy, transfer), ignore: job.ignore };
    if (job.next) wire.next = toWire(job.next, transfer);
    if (job.again) wire.again = toWire(job.again, transfer);
    this.waiting.set(id, done);
    worker.postMessage(wire, transfer);
  }

  private start(): Worker {
    const worker = new Worker(WORKER_SCRIPT);
    // The thread never keeps the process alive: a proxy that stops does not wait for comparisons.
    worker.unref();
    worker.on('message', (reply: WireReply) => {
      const done = this.waiting.get(reply.id);
      this.waiting.delete(reply.id);
      done?.(reply.error !== undefined ? new Error(reply.error) : { result: reply.result, twice: reply.twice });
    });
    const fail = (err: Error) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      const waiting = [...this.waiting.values()];
      this.waiting.clear();
      for (const done of waiting) done(err);
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the comparison thread exited with code ${code}`)));
    return worker;
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }
}
