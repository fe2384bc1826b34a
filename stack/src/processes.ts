import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ComponentName } from './components.js';
import type { ExitStatus } from './supervisor.js';

export interface ManagedProcess {
  name: ComponentName;
  pid: number;
  /** Resolves when the process has exited, with its exit code (null when killed by a signal) or signal. */
  exited: Promise<ExitStatus>;
  stop(timeoutMs?: number): Promise<void>;
}

/**
 * Starts a child process whose stdout and stderr go to `logFile`. `stop()` sends SIGTERM and, if
 * the process is still alive after the timeout, SIGKILL: nothing is left behind.
 */
export function startProcess(options: { name: ComponentName; command: string; args: string[]; env?: NodeJS.ProcessEnv; cwd?: string; logFile: string }): ManagedProcess {
  const log = createWriteStream(options.logFile, { flags: 'a' });
  const child: ChildProcess = spawn(options.command, options.args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    // Its own process group: Ctrl-C in the terminal reaches the stack, which stops children in order.
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  const exited = new Promise<ExitStatus>((resolve) => {
    child.once('exit', (code, signal) => {
      log.end();
      resolve({ code, signal });
    });
    child.once('error', (err) => {
      log.write(`[stack] could not start ${options.command}: ${err.message}\n`);
      log.end();
      resolve({ code: 127, signal: null });
    });
  });
  let alive = true;
  void exited.then(() => (alive = false));
  return {
    name: options.name,
    pid: child.pid ?? -1,
    exited,
    stop: async (timeoutMs = 10_000) => {
      if (!alive) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => alive && child.kill('SIGKILL'), timeoutMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Polls `check` until it resolves true, the process exits, the deadline passes, or `signal` aborts. */
export async function waitUntil(
  what: string,
  check: () => Promise<boolean>,
  options: { timeoutMs: number; process?: ManagedProcess; logFile?: string; signal?: AbortSignal },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  let exit: ExitStatus | undefined;
  void options.process?.exited.then((status) => (exit = status));
  while (Date.now() < deadline) {
    if (exit !== undefined) {
      const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
      throw new Error(`${what}: the process ${how}${options.logFile ? `; see ${options.logFile}` : ''}`);
    }
    if (await check().catch(() => false)) return;
    await sleep(200, undefined, { signal: options.signal });
  }
  throw new Error(`${what}: not ready after ${options.timeoutMs / 1000} s${options.logFile ? `; see ${options.logFile}` : ''}`);
}

/** True when an HTTP GET of `url` answers 2xx. */
export async function httpOk(url: string): Promise<boolean> {
  const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
  await res.body?.cancel();
  return res.ok;
}

/** The last lines of a log file (for reports), or '' when it cannot be read. */
export function tailOf(file: string, lines = 15): string {
  try {
    const text = readFileSync(file, 'utf8');
    return text.slice(Math.max(0, text.length - 64 * 1024)).trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/** True while a process with this id exists (signal 0 only checks). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
