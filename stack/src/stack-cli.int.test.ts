import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../test-support/global-setup.js';
import { REPO_ROOT } from './config.js';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('npm start (stack up), as a user runs it', () => {
  mkdirSync(join(REPO_ROOT, '.stack/test'), { recursive: true });
  const stateDir = mkdtempSync(join(REPO_ROOT, '.stack/test/stack-'));
  // PostgreSQL runs as `postgres` when we are root: it must be able to traverse the folder.
  chmodSync(stateDir, 0o755);
  afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

  it('starts PostgreSQL and the monolith, serves the API, and Ctrl-C leaves no process behind', async () => {
    const [pgPort, monolithPort] = [await freePort(), await freePort()];
    const child = spawn(process.execPath, [join(REPO_ROOT, 'stack/dist/cli.js'), 'up'], {
      env: { ...process.env, STACK_STATE_DIR: stateDir, PG_PORT: String(pgPort), MONOLITH_PORT: String(monolithPort), LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));

    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        if (output.includes('press Ctrl-C')) {
          clearInterval(timer);
          resolve();
        }
      }, 100);
      void exited.then((code) => {
        clearInterval(timer);
        reject(new Error(`stack exited early with ${code}:\n${output}`));
      });
    });

    expect(output).toContain(`http://127.0.0.1:${monolithPort}`);
    const ready = await fetch(`http://127.0.0.1:${monolithPort}/readyz`);
    expect(ready.status).toBe(200);
    const postgresPid = Number(readFileSync(join(stateDir, 'postgres/postmaster.pid'), 'utf8').split('\n')[0]);
    expect(isAlive(postgresPid)).toBe(true);

    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(output).toContain('[stack] stopped.');
    expect(isAlive(postgresPid)).toBe(false);
    expect(existsSync(join(stateDir, 'postgres/postmaster.pid'))).toBe(false);
    await expect(fetch(`http://127.0.0.1:${monolithPort}/healthz`)).rejects.toThrow();
  });
});
