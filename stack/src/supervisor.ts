import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { EXIT_CODES } from '@strangler/platform';

/** How a process ended: its exit code, or the signal that killed it. */
export interface ExitStatus {
  code: number | null;
  signal: string | null;
}

/** One running process of a component, as the supervisor sees it. */
export interface Instance {
  pid: number;
  /** Resolves when the process has ended, for any reason. */
  exited: Promise<ExitStatus>;
  /** SIGTERM, then SIGKILL after a timeout; resolves once the process is gone. */
  stop(): Promise<void>;
}

/**
 * A component under supervision. `start` starts a new process and resolves once it is ready; on
 * failure, or when `signal` aborts (Ctrl-C during a restart), it stops what it started before it throws.
 */
export interface SupervisedComponent {
  name: string;
  logFile: string;
  /** PostgreSQL and the proxy: when they end, the stack ends. */
  fatal: boolean;
  start(signal: AbortSignal): Promise<Instance>;
}

/** Thrown by a component's `start` when trying again cannot help (its port is taken): reported once, not retried. */
export class PermanentStartError extends Error {
  override readonly name = 'PermanentStartError';
}

export interface RestartPolicy {
  /** Wait before the first restart; doubled at each further one in a row. */
  initialDelayMs: number;
  maxDelayMs: number;
  /** At most this many restarts within `windowMs`; one more exit and the component is reported failed. */
  maxRestarts: number;
  windowMs: number;
  /** A process that ran this long before it ended starts again from `initialDelayMs`. */
  stableAfterMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = { initialDelayMs: 1_000, maxDelayMs: 30_000, maxRestarts: 8, windowMs: 5 * 60_000, stableAfterMs: 60_000 };

/** `waiting`: not started yet (what it needs is not ready). */
export type ComponentState = 'waiting' | 'running' | 'restarting' | 'failed' | 'stopped';

export interface ComponentStatus {
  name: string;
  state: ComponentState;
  pid: number | null;
  restarts: number;
  /** Since when the current process has been running (ISO time), or null. */
  upSince: string | null;
  logFile: string;
  lastExit: (ExitStatus & { at: string }) | null;
  /** Why the component is failed, and what to do. */
  reason: string | null;
}

/** What the running stack writes to `<state dir>/stack-state.json` for `npm run stack -- status`. */
export interface StackState {
  pid: number;
  startedAt: string;
  components: ComponentStatus[];
}

/** The delay before restart number `attempt` (1-based) in a row: doubled each time, capped. */
export function backoffDelay(policy: RestartPolicy, attempt: number): number {
  return Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** Math.max(0, attempt - 1));
}

export function describeExit(exit: ExitStatus): string {
  if (exit.signal) return `killed by ${exit.signal}`;
  if (exit.code === EXIT_CODES.config) return `exited with code ${exit.code} (configuration error)`;
  return `exited with code ${exit.code ?? 'unknown'}`;
}

interface Entry {
  component: SupervisedComponent;
  instance: Instance | undefined;
  status: ComponentStatus;
  /** Start times of the restarts still inside the window. */
  restartTimes: number[];
  /** Restarts in a row since the process last ran for `stableAfterMs`. */
  streak: number;
  /** Callers of `whenRunning` waiting for the component to run (again) or to be failed. */
  waiters: { resolve: () => void; reject: (error: Error) => void }[];
}

/**
 * Keeps the stack's components running: a component whose process ends on its own is started again
 * after a capped, doubling delay, at most `maxRestarts` times in `windowMs`; past that, or when it
 * exits with the configuration exit code (78: it would fail the same way again), it is reported
 * failed, once, with the reason, and the rest keeps running. A fatal component ending resolves
 * `fatal`. Every change is written to the state file.
 */
export class Supervisor {
  private readonly entries: Entry[] = [];
  private stopping = false;
  private readonly abort = new AbortController();
  private readonly pending = new Set<Promise<unknown>>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private resolveFatal!: (reason: string) => void;
  /** Resolves with a sentence naming the fatal component that ended. */
  readonly fatal = new Promise<string>((resolve) => (this.resolveFatal = resolve));
  private readonly startedAt = new Date().toISOString();

  constructor(
    private readonly options: {
      report: (line: string) => void;
      policy?: RestartPolicy;
      stateFile?: string;
      /** The last lines of a log file, for the restart report. */
      tail?: (file: string) => string;
    },
  ) {}

  private get policy(): RestartPolicy {
    return this.options.policy ?? DEFAULT_RESTART_POLICY;
  }

  /** Lists a component before its first start (`waiting`), so that `stack status` shows the whole stack from the start. */
  expect(component: Pick<SupervisedComponent, 'name' | 'logFile'>): void {
    if (this.entries.some((e) => e.component.name === component.name)) return;
    this.entries.push({
      component: { ...component, fatal: false, start: () => Promise.reject(new Error(`${component.name} has not started yet`)) },
      instance: undefined,
      restartTimes: [],
      streak: 0,
      waiters: [],
      status: { name: component.name, state: 'waiting', pid: null, restarts: 0, upSince: null, logFile: component.logFile, lastExit: null, reason: null },
    });
    this.writeState();
  }

  /** Watches a component whose first process start-up already started and waited for. */
  adopt(component: SupervisedComponent, instance: Instance): void {
    const entry = this.entryFor(component);
    entry.instance = instance;
    this.watch(entry, instance);
    this.update(entry, { state: 'running', pid: instance.pid, upSince: new Date().toISOString() });
  }

  /** The component's entry: the one `expect` made, taking its real start, or a new one. */
  private entryFor(component: SupervisedComponent): Entry {
    const listed = this.entries.find((e) => e.component.name === component.name);
    if (listed) {
      listed.component = component;
      return listed;
    }
    const entry: Entry = {
      component,
      instance: undefined,
      restartTimes: [],
      streak: 0,
      waiters: [],
      status: { name: component.name, state: 'waiting', pid: null, restarts: 0, upSince: null, logFile: component.logFile, lastExit: null, reason: null },
    };
    this.entries.push(entry);
    return entry;
  }

  /**
   * Takes over a component whose first start failed during the stack's start-up (ADR-0029): it is
   * started again with the same backoff and limits as after a crash, or reported failed at once when
   * trying again cannot help (a PermanentStartError, or its process exited with the configuration code).
   */
  adoptFailed(component: SupervisedComponent, error: unknown): void {
    const entry = this.entryFor(component);
    this.update(entry, { state: 'restarting' });
    const reason = error instanceof Error ? error.message : String(error);
    if (this.stopping) return;
    if (error instanceof PermanentStartError || reason.includes(`exited with code ${EXIT_CODES.config}`)) {
      this.fail(entry, `could not be started: ${reason}`, '');
      return;
    }
    this.scheduleRestart(entry, `${component.name} could not be started (${reason})`, this.lastLines(component.logFile));
  }

  /** Resolves once the component runs (at once when it does); rejects when it is, or becomes, failed. */
  whenRunning(name: string): Promise<void> {
    const entry = this.entries.find((e) => e.component.name === name);
    if (!entry) return Promise.reject(new Error(`${name} is not supervised`));
    if (entry.status.state === 'running') return Promise.resolve();
    if (entry.status.state === 'failed') return Promise.reject(new Error(`${name} failed: ${entry.status.reason ?? 'see its log'}`));
    return new Promise((resolve, reject) => entry.waiters.push({ resolve, reject }));
  }

  status(): ComponentStatus[] {
    return this.entries.map((e) => ({ ...e.status }));
  }

  /** The pids of every process the supervisor knows to be running (for a last-resort SIGKILL). */
  pids(): number[] {
    return this.entries.flatMap((e) => (e.instance ? [e.instance.pid] : []));
  }

  /**
   * Stops every component after cancelling pending restarts and aborting a restart in progress (its
   * start stops what it started): in `order` when given (the stack passes its reverse dependency
   * order), the rest last adopted first. A stop failure is reported, not hidden.
   */
  async stop(order: readonly string[] = []): Promise<void> {
    this.stopping = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.abort.abort(new Error('the stack is stopping'));
    await Promise.allSettled([...this.pending]);
    const rank = (entry: Entry) => {
      const i = order.indexOf(entry.component.name);
      return i === -1 ? order.length : i;
    };
    const inOrder = [...this.entries].reverse().sort((a, b) => rank(a) - rank(b));
    for (const entry of inOrder) {
      const instance = entry.instance;
      entry.instance = undefined;
      if (instance) {
        await instance.stop().catch((err: unknown) => this.options.report(`could not stop ${entry.component.name} (pid ${instance.pid}): ${err instanceof Error ? err.message : String(err)}`));
      }
      this.update(entry, { state: entry.status.state === 'failed' ? 'failed' : 'stopped', pid: null, upSince: null });
    }
  }

  private watch(entry: Entry, instance: Instance): void {
    const started = Date.now();
    void instance.exited.then((exit) => {
      if (this.stopping || entry.instance !== instance) return;
      entry.instance = undefined;
      const at = new Date();
      this.update(entry, { pid: null, upSince: null, lastExit: { ...exit, at: at.toISOString() } });
      const { name, logFile } = entry.component;
      const lastLines = this.lastLines(logFile);
      if (entry.component.fatal) {
        this.update(entry, { state: 'failed', reason: `${describeExit(exit)}; the stack cannot run without it` });
        this.resolveFatal(`${name} ${describeExit(exit)}${lastLines}`);
        return;
      }
      if (exit.code === EXIT_CODES.config) {
        this.fail(entry, `${describeExit(exit)}: it would fail the same way again; fix what ${logFile} says, then restart the stack`, lastLines);
        return;
      }
      if (at.getTime() - started >= this.policy.stableAfterMs) entry.streak = 0;
      entry.restartTimes = entry.restartTimes.filter((t) => at.getTime() - t < this.policy.windowMs);
      if (entry.restartTimes.length >= this.policy.maxRestarts) {
        this.fail(entry, `${describeExit(exit)} after ${entry.restartTimes.length} restarts within ${Math.round(this.policy.windowMs / 1000)} s; see ${logFile}, then restart the stack`, lastLines);
        return;
      }
      this.scheduleRestart(entry, `${name} ${describeExit(exit)}`, lastLines);
    });
  }

  private scheduleRestart(entry: Entry, what: string, lastLines: string): void {
    entry.streak += 1;
    const delay = backoffDelay(this.policy, entry.streak);
    entry.restartTimes.push(Date.now());
    this.update(entry, { state: 'restarting', restarts: entry.status.restarts + 1, reason: null });
    this.options.report(
      `${what}; restarting in ${(delay / 1000).toFixed(1)} s (restart ${entry.restartTimes.length} of at most ${this.policy.maxRestarts} within ${Math.round(this.policy.windowMs / 1000)} s). Last lines of ${entry.component.logFile}:${lastLines}`,
    );
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      const attempt = this.restart(entry);
      this.pending.add(attempt);
      void attempt.finally(() => this.pending.delete(attempt));
    }, delay);
    this.timers.add(timer);
  }

  private async restart(entry: Entry): Promise<void> {
    if (this.stopping) return;
    try {
      const instance = await entry.component.start(this.abort.signal);
      if (this.stopping) {
        await instance.stop();
        return;
      }
      entry.instance = instance;
      this.update(entry, { state: 'running', pid: instance.pid, upSince: new Date().toISOString() });
      this.options.report(`${entry.component.name} is running again (pid ${instance.pid})`);
      this.watch(entry, instance);
    } catch (err) {
      if (this.stopping) return;
      const reason = err instanceof Error ? err.message : String(err);
      entry.restartTimes = entry.restartTimes.filter((t) => Date.now() - t < this.policy.windowMs);
      if (err instanceof PermanentStartError || reason.includes(`exited with code ${EXIT_CODES.config}`) || entry.restartTimes.length >= this.policy.maxRestarts) {
        this.fail(entry, `could not be started again: ${reason}`, '');
        return;
      }
      this.scheduleRestart(entry, `${entry.component.name} could not be started again (${reason})`, this.lastLines(entry.component.logFile));
    }
  }

  private fail(entry: Entry, reason: string, lastLines: string): void {
    this.update(entry, { state: 'failed', reason });
    this.options.report(`${entry.component.name} FAILED and is left stopped (the rest keeps running): ${reason}${lastLines ? `. Last lines of ${entry.component.logFile}:${lastLines}` : ''}`);
  }

  private lastLines(file: string): string {
    const text = this.options.tail?.(file).trimEnd();
    return text ? `\n${text.split('\n').map((line) => `    ${line}`).join('\n')}` : '';
  }

  private update(entry: Entry, change: Partial<ComponentStatus>): void {
    Object.assign(entry.status, change);
    this.writeState();
    const { state, reason } = entry.status;
    if (state === 'restarting') return;
    const waiters = entry.waiters.splice(0);
    for (const waiter of waiters) {
      if (state === 'running') waiter.resolve();
      else waiter.reject(new Error(`${entry.component.name} ${state === 'failed' ? `failed: ${reason ?? 'see its log'}` : 'was stopped'}`));
    }
  }

  private writeState(): void {
    const file = this.options.stateFile;
    if (!file) return;
    const state: StackState = { pid: process.pid, startedAt: this.startedAt, components: this.status() };
    try {
      // Written whole, then renamed: `stack status` never reads half a file.
      writeFileSync(`${file}.tmp`, `${JSON.stringify(state, null, 2)}\n`);
      renameSync(`${file}.tmp`, file);
    } catch (err) {
      this.options.report(`could not write ${file}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}

/** The state a running stack last wrote, or undefined when there is none. */
export function readStackState(file: string): StackState | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as StackState;
  } catch {
    return undefined;
  }
}
