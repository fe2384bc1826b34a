import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { chaosTargets } from '../components.js';
import { REPO_ROOT } from '../config.js';
import { isAlive } from '../processes.js';
import { stackStateFile } from '../stack.js';
import { readStackState } from '../supervisor.js';
import { runChaos, startStackForChaos, violations, type StackUnderTest } from './chaos.js';

// The short form of `npm run chaos`: one SIGKILL of each supervised component under load. It
// asserts the invariants (nothing lost or applied twice, no 5xx on safe routes, every component
// back, both sides equal), never how long anything took.
describe('the chaos suite, short form', () => {
  mkdirSync(join(REPO_ROOT, '.stack/test'), { recursive: true });
  const stateDir = mkdtempSync(join(REPO_ROOT, '.stack/test/chaos-'));
  let stack: StackUnderTest | undefined;
  const lines: string[] = [];
  afterAll(async () => {
    await stack?.stop();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('killing each supervised component once under traffic loses no write, applies none twice, keeps the stable URL answering, and the data converges', { timeout: 2_400_000 }, async () => {
    stack = await startStackForChaos(stateDir, (line) => lines.push(line));

    const result = await runChaos(stack, {
      rounds: 1,
      pauseMs: 2_000,
      // Generous: at load 44 on two cores a broker restart needed three attempts and over 300 s.
      recoveryDeadlineMs: 600_000,
      convergenceDeadlineMs: 300_000,
      maxRunMs: 2_000_000,
      report: (line) => lines.push(line),
    });

    expect(result.kills.map((k) => k.component)).toEqual(chaosTargets());
    expect(violations(result), lines.join('\n')).toEqual([]);
    expect(result.safeRequests).toBeGreaterThan(0);
    expect(result.acknowledgedInserts).toBeGreaterThan(0);
    expect(result.lostWrites).toEqual([]);
    expect(result.duplicatedWrites).toBe(0);
    expect(result.safe5xx).toBe(0);
    expect(result.converged).toBe(true);
  });

  it('Ctrl-C twice while a killed component is being restarted leaves no process behind', { timeout: 300_000 }, async () => {
    const state = () => readStackState(stackStateFile(stateDir))!;
    const known = state().components.flatMap((c) => (c.pid ? [c.pid] : []));
    const connect = state().components.find((c) => c.name === 'kafka-connect')!;

    process.kill(connect.pid!, 'SIGKILL');
    await until(() => state().components.find((c) => c.name === 'kafka-connect')?.state === 'restarting', 'the restart to begin');
    // Into the restart itself: the new JVM has been started and is not ready yet.
    await until(() => runningPid(join(stateDir, 'connect/connect.pid')) !== undefined, 'the new Connect JVM');
    const restarting = runningPid(join(stateDir, 'connect/connect.pid'))!;
    const exited = new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        if (!isAlive(stack!.pid!)) {
          clearInterval(timer);
          resolve();
        }
      }, 100);
    });
    process.kill(stack!.pid!, 'SIGINT');
    await new Promise((r) => setTimeout(r, 200));
    process.kill(stack!.pid!, 'SIGINT');
    await exited;

    await until(() => [...known, restarting].every((pid) => !isAlive(pid)), 'every process of the stack to be gone', 60_000);
    expect([...known, restarting].filter((pid) => isAlive(pid))).toEqual([]);
  });
});

async function until(check: () => boolean, what: string, timeoutMs = 180_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The pid in a pid file, while that process is alive. */
function runningPid(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return pid > 0 && isAlive(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}
