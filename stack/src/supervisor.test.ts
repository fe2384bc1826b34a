import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { backoffDelay, DEFAULT_RESTART_POLICY, PermanentStartError, readStackState, Supervisor, type ExitStatus, type Instance, type RestartPolicy } from './supervisor.js';

/** A process that ends when the test says so. */
class FakeProcess implements Instance {
  private static nextPid = 1000;
  readonly pid = FakeProcess.nextPid++;
  stopped = false;
  private end!: (status: ExitStatus) => void;
  readonly exited = new Promise<ExitStatus>((resolve) => (this.end = resolve));
  crash(status: ExitStatus = { code: null, signal: 'SIGKILL' }): void {
    this.end(status);
  }
  stop = async () => {
    this.stopped = true;
    this.end({ code: 0, signal: null });
  };
}

const FAST: RestartPolicy = { initialDelayMs: 1, maxDelayMs: 4, maxRestarts: 3, windowMs: 60_000, stableAfterMs: 60_000 };

function harness(policy = FAST) {
  const lines: string[] = [];
  const started: FakeProcess[] = [];
  const stateFile = join(mkdtempSync(join(tmpdir(), 'supervisor-')), 'stack-state.json');
  const supervisor = new Supervisor({ report: (line) => lines.push(line), policy, stateFile, tail: () => 'last line of the log' });
  let failStarts = 0;
  const component = (name: string, fatal = false) => ({
    name,
    fatal,
    logFile: `/logs/${name}.log`,
    start: async (signal: AbortSignal) => {
      signal.throwIfAborted();
      if (failStarts > 0) {
        failStarts -= 1;
        throw new Error(`${name}: the process exited with code 1`);
      }
      const p = new FakeProcess();
      started.push(p);
      return p;
    },
  });
  return { supervisor, lines, started, stateFile, component, failNextStarts: (n: number) => (failStarts = n) };
}

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('the stack supervisor', () => {
  it('restarts a component killed on its own, logging how it ended and the last lines of its log', async () => {
    const { supervisor, lines, started, component } = harness();
    const first = new FakeProcess();
    supervisor.adopt(component('kafka-connect'), first);

    first.crash({ code: null, signal: 'SIGKILL' });

    await until(() => started.length === 1, 'the restart');
    expect(supervisor.status()[0]).toMatchObject({ name: 'kafka-connect', state: 'running', pid: started[0]!.pid, restarts: 1 });
    expect(lines[0]).toContain('kafka-connect killed by SIGKILL; restarting in');
    expect(lines[0]).toContain('last line of the log');
    await supervisor.stop();
  });

  it('never restarts a component that exits with the configuration exit code (78), and reports it once', async () => {
    const { supervisor, lines, started, component } = harness();
    const first = new FakeProcess();
    supervisor.adopt(component('catalog-service'), first);

    first.crash({ code: 78, signal: null });

    await until(() => supervisor.status()[0]!.state === 'failed', 'the failure');
    await new Promise((r) => setTimeout(r, 50));
    expect(started).toHaveLength(0);
    expect(lines.filter((l) => l.includes('FAILED'))).toHaveLength(1);
    expect(supervisor.status()[0]!.reason).toContain('configuration error');
    await supervisor.stop();
  });

  it('gives up after the restart limit within the window: the component is failed, the others keep running', async () => {
    const { supervisor, lines, started, component } = harness();
    const other = new FakeProcess();
    supervisor.adopt(component('unleash'), other);
    const first = new FakeProcess();
    supervisor.adopt(component('catalog-service'), first);

    first.crash();
    for (let i = 1; i <= FAST.maxRestarts; i++) {
      await until(() => started.length === i, `restart ${i}`);
      started[i - 1]!.crash();
    }

    await until(() => supervisor.status()[1]!.state === 'failed', 'the failure');
    expect(started).toHaveLength(FAST.maxRestarts);
    expect(supervisor.status()[0]).toMatchObject({ name: 'unleash', state: 'running', pid: other.pid });
    expect(lines.at(-1)).toContain(`after ${FAST.maxRestarts} restarts`);
    await supervisor.stop();
  });

  it('counts a restart that cannot start as another failure, and keeps trying with backoff', async () => {
    const { supervisor, lines, started, component, failNextStarts } = harness();
    const first = new FakeProcess();
    supervisor.adopt(component('unleash'), first);
    failNextStarts(1);

    first.crash({ code: 1, signal: null });

    await until(() => started.length === 1, 'the second restart attempt');
    expect(lines.some((l) => l.includes('unleash could not be started again'))).toBe(true);
    expect(supervisor.status()[0]).toMatchObject({ state: 'running', restarts: 2 });
    await supervisor.stop();
  });

  it('reports a restart that can never succeed (its port is taken) once, and does not try again', async () => {
    const { supervisor, lines, component } = harness();
    const first = new FakeProcess();
    let attempts = 0;
    supervisor.adopt({ ...component('kafka'), start: async () => {
      attempts++;
      throw new PermanentStartError('Port 9092 for the Kafka broker is taken by a process this stack did not start');
    } }, first);

    first.crash();

    await until(() => supervisor.status()[0]!.state === 'failed', 'the failure');
    await new Promise((r) => setTimeout(r, 50));
    expect(attempts).toBe(1);
    expect(lines.filter((l) => l.includes('FAILED'))).toEqual([expect.stringContaining('Port 9092')]);
    await supervisor.stop();
  });

  it('resolves `fatal` when PostgreSQL or the proxy ends, and does not restart it', async () => {
    const { supervisor, started, component } = harness();
    const proxy = new FakeProcess();
    supervisor.adopt(component('strangler-proxy', true), proxy);

    proxy.crash({ code: 1, signal: null });

    expect(await supervisor.fatal).toContain('strangler-proxy exited with code 1');
    expect(started).toHaveLength(0);
    await supervisor.stop();
  });

  it('stop during a pending restart starts nothing more and stops every running process', async () => {
    const { supervisor, started, component } = harness({ ...FAST, initialDelayMs: 200, maxDelayMs: 200 });
    const a = new FakeProcess();
    const b = new FakeProcess();
    supervisor.adopt(component('kafka'), a);
    supervisor.adopt(component('unleash'), b);
    a.crash();
    await until(() => supervisor.status()[0]!.state === 'restarting', 'the pending restart');

    await supervisor.stop();
    await new Promise((r) => setTimeout(r, 300));

    expect(started).toHaveLength(0);
    expect(b.stopped).toBe(true);
    expect(supervisor.status().map((s) => s.state)).toEqual(['stopped', 'stopped']);
  });

  it('writes each component to the state file that `stack status` reads', async () => {
    const { supervisor, stateFile, component } = harness();
    const p = new FakeProcess();
    supervisor.adopt(component('unleash'), p);

    const state = readStackState(stateFile);

    expect(state?.pid).toBe(process.pid);
    expect(state?.components).toEqual([expect.objectContaining({ name: 'unleash', state: 'running', pid: p.pid, restarts: 0, logFile: '/logs/unleash.log' })]);
    await supervisor.stop();
  });

  it('takes over a component whose first start failed during start-up: starts it again, and whenRunning resolves', async () => {
    const { supervisor, lines, started, component } = harness();

    supervisor.adoptFailed(component('kafka'), new Error('the Kafka broker exited during start-up'));
    await supervisor.whenRunning('kafka');

    expect(started).toHaveLength(1);
    expect(supervisor.status()[0]).toMatchObject({ name: 'kafka', state: 'running', pid: started[0]!.pid, restarts: 1 });
    expect(lines[0]).toContain('kafka could not be started (the Kafka broker exited during start-up); restarting in');
    await supervisor.stop();
  });

  it('reports a first start that exited with the configuration code failed at once, and whenRunning rejects', async () => {
    const { supervisor, started, component } = harness();

    supervisor.adoptFailed(component('catalog-service'), new Error('catalog-service: the process exited with code 78'));

    await expect(supervisor.whenRunning('catalog-service')).rejects.toThrow('catalog-service failed: could not be started');
    expect(started).toHaveLength(0);
    expect(supervisor.status()[0]!.state).toBe('failed');
    await supervisor.stop();
  });

  it('lists a component before its first start as waiting, then running once adopted, in the state file', async () => {
    const { supervisor, stateFile, component } = harness();
    supervisor.expect({ name: 'kafka', logFile: '/logs/kafka.log' });
    supervisor.expect({ name: 'catalog-service', logFile: '/logs/catalog-service.log' });
    expect(readStackState(stateFile)?.components.map((c) => [c.name, c.state])).toEqual([
      ['kafka', 'waiting'],
      ['catalog-service', 'waiting'],
    ]);

    const p = new FakeProcess();
    supervisor.adopt(component('kafka'), p);

    expect(readStackState(stateFile)?.components.map((c) => [c.name, c.state, c.pid])).toEqual([
      ['kafka', 'running', p.pid],
      ['catalog-service', 'waiting', null],
    ]);
    await supervisor.stop();
  });

  it('stops components in the order it is given (the reverse of the start graph), the rest last adopted first', async () => {
    const { supervisor, component } = harness();
    const stopped: string[] = [];
    const tracked = (name: string) => {
      const p = new FakeProcess();
      const stop = p.stop;
      p.stop = async () => {
        stopped.push(name);
        await stop();
      };
      supervisor.adopt(component(name), p);
    };
    for (const name of ['postgres', 'kafka', 'strangler-proxy', 'legacy-monolith', 'kafka-connect']) tracked(name);

    await supervisor.stop(['strangler-proxy', 'legacy-monolith', 'kafka-connect', 'kafka', 'postgres']);

    expect(stopped).toEqual(['strangler-proxy', 'legacy-monolith', 'kafka-connect', 'kafka', 'postgres']);
  });

  it('doubles the delay between restarts in a row, up to the cap', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => backoffDelay(DEFAULT_RESTART_POLICY, n))).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000]);
  });
});
