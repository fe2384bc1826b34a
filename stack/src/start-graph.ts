/**
 * The start-up of the local stack as an explicit dependency graph (ADR-0029): each step starts as
 * soon as every step it needs is ready, so independent parts start side by side.
 *
 * A fatal step that fails stops the whole start: the steps in progress are aborted, and the start
 * rejects once they have settled. A non-fatal step that fails is reported and `recover`ed (for a
 * process: handed to the supervisor, which restarts it with backoff); the rest comes up, and the
 * steps that need it wait until it is ready after all. The start resolves when every step is ready
 * or waits on a failed one.
 */

export interface StartStep {
  name: string;
  /** The steps that must be ready before this one starts. */
  needs: readonly string[];
  /** Its failure stops the whole start (PostgreSQL, the migrations, the proxy). */
  fatal: boolean;
  /** Starts the step and resolves once it is ready; on abort it stops what it started and rejects. */
  start(signal: AbortSignal): Promise<void>;
  /**
   * A non-fatal step whose `start` failed: resolves once it is ready after all, rejects when that will
   * not happen (the supervisor gave up). Without it, the step stays failed.
   */
  recover?(error: unknown, signal: AbortSignal): Promise<void>;
}

export type StepState = 'waiting' | 'starting' | 'ready' | 'failed';

export interface StepResult {
  name: string;
  state: StepState;
  /** Milliseconds from the start of the graph until the step was ready (ready steps only). */
  readyAfterMs?: number;
  /** Why it failed, or which failed step it waits for. */
  reason?: string;
}

export interface StartResult {
  /** Milliseconds from the start of the graph until every step was ready or waiting on a failed one. */
  elapsedMs: number;
  steps: StepResult[];
  /** Resolves once every step is ready (now, or later as failed steps recover); never when one stays failed. */
  complete: Promise<void>;
}

/** The graph cannot be run: an unknown or duplicate step, or a cycle (named in the message). */
export class StartGraphError extends Error {
  override readonly name = 'StartGraphError';
}

/** A fatal step failed, or a fatal step can never start because a step it needs failed for good. */
export class FatalStartError extends Error {
  override readonly name = 'FatalStartError';
  constructor(
    readonly step: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * The steps in an order that puts every step after the steps it needs (ties keep the given order).
 * Throws a StartGraphError naming a duplicate, an unknown dependency, or the steps of a cycle.
 */
export function startOrder(steps: readonly Pick<StartStep, 'name' | 'needs'>[]): string[] {
  const byName = new Map<string, Pick<StartStep, 'name' | 'needs'>>();
  for (const step of steps) {
    if (byName.has(step.name)) throw new StartGraphError(`start step ${step.name} is defined twice`);
    byName.set(step.name, step);
  }
  for (const step of steps) {
    for (const need of step.needs) if (!byName.has(need)) throw new StartGraphError(`start step ${step.name} needs ${need}, which is not a step`);
  }
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, path: string[]) => {
    const seen = state.get(name);
    if (seen === 'done') return;
    if (seen === 'visiting') {
      const cycle = [...path.slice(path.indexOf(name)), name];
      throw new StartGraphError(`the start steps form a cycle: ${cycle.join(' -> ')}`);
    }
    state.set(name, 'visiting');
    for (const need of byName.get(name)!.needs) visit(need, [...path, name]);
    state.set(name, 'done');
    order.push(name);
  };
  for (const step of steps) visit(step.name, []);
  return order;
}

export interface RunOptions {
  /** Aborts the start (Ctrl-C): the steps in progress stop what they started, then the run rejects. */
  signal?: AbortSignal;
  /** A line per step that becomes ready or fails. */
  report?: (line: string) => void;
  now?: () => number;
}

/** Runs the steps as their dependencies allow; see the module comment for what failures do. */
export async function runStartGraph(steps: readonly StartStep[], options: RunOptions = {}): Promise<StartResult> {
  const order = startOrder(steps);
  const now = options.now ?? (() => performance.now());
  const report = options.report ?? (() => {});
  const t0 = now();
  const since = () => `+${((now() - t0) / 1000).toFixed(1)} s`;
  const abort = new AbortController();
  const onOuterAbort = () => abort.abort(options.signal?.reason);

  const byName = new Map(steps.map((s) => [s.name, s]));
  const results = new Map<string, StepResult>(order.map((name) => [name, { name, state: 'waiting' }]));
  const ready = new Map<string, Promise<void>>();
  let fatal: FatalStartError | undefined;
  let settleStartup!: () => void;
  const startup = new Promise<void>((resolve) => (settleStartup = resolve));

  abort.signal.addEventListener('abort', () => settleStartup(), { once: true });
  if (options.signal?.aborted) onOuterAbort();
  options.signal?.addEventListener('abort', onOuterAbort, { once: true });
  const failFatally = (error: FatalStartError) => {
    fatal ??= error;
    abort.abort(error);
  };
  /**
   * True once no step is starting and every waiting step waits on a failed one: the start-up is over.
   * A fatal step is waited for while what it needs recovers: there is no stack without it.
   */
  const startupOver = () =>
    [...results.values()].every((r) => r.state === 'ready' || r.state === 'failed' || (r.state === 'waiting' && !byName.get(r.name)!.fatal && blockedBy(r.name) !== undefined));
  const blockedBy = (name: string): string | undefined => {
    for (const need of byName.get(name)!.needs) {
      const r = results.get(need)!;
      if (r.state === 'failed') return need;
      if (r.state === 'waiting') {
        const deeper = blockedBy(need);
        if (deeper) return deeper;
      }
    }
    return undefined;
  };
  const changed = (name: string, change: Partial<StepResult>) => {
    Object.assign(results.get(name)!, change);
    if (fatal || startupOver()) settleStartup();
  };

  const run = async (step: StartStep): Promise<void> => {
    try {
      await Promise.all(step.needs.map((need) => ready.get(need)!));
    } catch (err) {
      // A step it needs failed for good (or the start is aborted): this one never starts.
      if (step.fatal && !abort.signal.aborted) failFatally(new FatalStartError(step.name, `${step.name} cannot start: ${errorMessage(err)}`, { cause: err }));
      throw err;
    }
    abort.signal.throwIfAborted();
    changed(step.name, { state: 'starting' });
    try {
      await step.start(abort.signal);
    } catch (err) {
      if (abort.signal.aborted) throw err;
      if (step.fatal) {
        failFatally(new FatalStartError(step.name, `${step.name} failed to start: ${errorMessage(err)}`, { cause: err }));
        throw err;
      }
      report(`${step.name} FAILED to start (${since()}): ${errorMessage(err)}${step.recover ? '' : '; it stays stopped'}`);
      changed(step.name, { state: 'failed', reason: errorMessage(err) });
      if (!step.recover) throw new Error(`${step.name} failed to start`, { cause: err });
      try {
        await step.recover(err, abort.signal);
      } catch (recoveryError) {
        throw new Error(`${step.name} failed to start`, { cause: recoveryError });
      }
      report(`${step.name} ready after all (${since()})`);
      changed(step.name, { state: 'ready', reason: undefined, readyAfterMs: now() - t0 });
      return;
    }
    report(`${step.name} ready (${since()})`);
    changed(step.name, { state: 'ready', readyAfterMs: now() - t0 });
  };

  for (const name of order) {
    const promise = run(byName.get(name)!);
    // Rejections are read by the steps that need it and by `complete`; none is left unhandled.
    promise.catch(() => {});
    ready.set(name, promise);
  }
  const all = Promise.allSettled([...ready.values()]);
  if (startupOver()) settleStartup();
  await startup;
  if (fatal) {
    await all;
    options.signal?.removeEventListener('abort', onOuterAbort);
    throw fatal;
  }
  const elapsedMs = now() - t0;
  if (abort.signal.aborted) {
    await all;
    throw abort.signal.reason;
  }
  const complete = Promise.all([...ready.values()]).then(() => undefined);
  complete.catch(() => {});
  void all.then(() => options.signal?.removeEventListener('abort', onOuterAbort));
  return {
    elapsedMs,
    complete,
    steps: order.map((name) => {
      const r = { ...results.get(name)! };
      if (r.state === 'waiting') r.reason = `waits for ${blockedBy(name)}, which failed`;
      return r;
    }),
  };
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
