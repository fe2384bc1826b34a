import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import type { ComponentName } from './components.js';

export interface ManagedProcess {
  name: ComponentName;
  pid: number;
  /** Resolves when the process has exited, with its exit code (null when killed by a signal). */
  exited: Promise<number | null>;
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
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      log.end();
      resolve(code);
    });
    child.once('error', (err) => {
      log.write(`[stack] could not start ${options.command}: ${err.message}\n`);
      log.end();
      resolve(127);
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

/** Polls `check` until it resolves true, the process exits, or the deadline passes. */
export async function waitUntil(what: string, check: () => Promise<boolean>, options: { timeoutMs: number; process?: ManagedProcess; logFile?: string }): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  let exitCode: number | null | undefined;
  void options.process?.exited.then((code) => (exitCode = code));
  while (Date.now() < deadline) {
    if (exitCode !== undefined) {
      throw new Error(`${what}: the process exited with code ${exitCode}${options.logFile ? `; see ${options.logFile}` : ''}`);
    }
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what}: not ready after ${options.timeoutMs / 1000} s${options.logFile ? `; see ${options.logFile}` : ''}`);
}

/** True when an HTTP GET of `url` answers 2xx. */
export async function httpOk(url: string): Promise<boolean> {
  const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
  await res.body?.cancel();
  return res.ok;
}
