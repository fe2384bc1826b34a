import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { chaosTargets } from '../components.js';
import { REPO_ROOT } from '../config.js';
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

  it('killing each supervised component once under traffic loses no write, applies none twice, keeps the stable URL answering, and the data converges', { timeout: 1_200_000 }, async () => {
    stack = await startStackForChaos(stateDir, (line) => lines.push(line));

    const result = await runChaos(stack, {
      rounds: 1,
      pauseMs: 2_000,
      recoveryDeadlineMs: 300_000,
      convergenceDeadlineMs: 300_000,
      maxRunMs: 900_000,
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
});
