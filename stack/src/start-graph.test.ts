import { describe, expect, it } from 'vitest';
import { FatalStartError, runStartGraph, StartGraphError, startOrder, type StartStep } from './start-graph.js';

/** A step whose start the test finishes (or fails) by hand, recording when it began and what it saw. */
class Step implements StartStep {
  started = false;
  aborted = false;
  private finish!: (error?: Error) => void;
  private begun!: () => void;
  readonly whenStarted = new Promise<void>((resolve) => (this.begun = resolve));
  recover?: StartStep['recover'];
  constructor(
    readonly name: string,
    readonly needs: string[] = [],
    readonly fatal = false,
  ) {}
  start = (signal: AbortSignal) => {
    this.started = true;
    this.begun();
    return new Promise<void>((resolve, reject) => {
      this.finish = (error) => (error ? reject(error) : resolve());
      signal.addEventListener('abort', () => {
        this.aborted = true;
        reject(signal.reason as Error);
      });
    });
  };
  async ready(): Promise<void> {
    await this.whenStarted;
    this.finish();
  }
  async fail(message = `${this.name} broke`): Promise<void> {
    await this.whenStarted;
    this.finish(new Error(message));
  }
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('the start graph', () => {
  it('orders every step after the steps it needs, keeping the given order between independent ones', () => {
    const order = startOrder([
      { name: 'proxy', needs: ['monolith', 'unleash'] },
      { name: 'postgres', needs: [] },
      { name: 'kafka', needs: [] },
      { name: 'monolith', needs: ['migrations'] },
      { name: 'migrations', needs: ['postgres'] },
      { name: 'unleash', needs: ['postgres'] },
    ]);
    expect(order).toEqual(['postgres', 'migrations', 'monolith', 'unleash', 'proxy', 'kafka']);
  });

  it('refuses a cycle, naming the steps that form it', () => {
    const steps = [
      { name: 'postgres', needs: [] },
      { name: 'kafka', needs: ['connectors'] },
      { name: 'connect', needs: ['kafka'] },
      { name: 'connectors', needs: ['connect', 'postgres'] },
    ];
    expect(() => startOrder(steps)).toThrow(StartGraphError);
    expect(() => startOrder(steps)).toThrow('the start steps form a cycle: kafka -> connectors -> connect -> kafka');
  });

  it('refuses a dependency on a step that does not exist, and a step defined twice', () => {
    expect(() => startOrder([{ name: 'proxy', needs: ['monolith'] }])).toThrow('start step proxy needs monolith, which is not a step');
    expect(() => startOrder([{ name: 'kafka', needs: [] }, { name: 'kafka', needs: [] }])).toThrow('start step kafka is defined twice');
  });

  it('starts independent steps side by side, and a step only once everything it needs is ready', async () => {
    const postgres = new Step('postgres');
    const kafka = new Step('kafka');
    const migrations = new Step('migrations', ['postgres']);
    const connectors = new Step('connectors', ['kafka', 'migrations']);
    const lines: string[] = [];
    const run = runStartGraph([postgres, kafka, migrations, connectors], { report: (line) => lines.push(line) });
    await tick();
    expect([postgres.started, kafka.started, migrations.started]).toEqual([true, true, false]);

    await postgres.ready();
    await migrations.whenStarted;
    expect(connectors.started).toBe(false);
    await migrations.ready();
    await tick();
    expect(connectors.started).toBe(false);
    await kafka.ready();
    await connectors.whenStarted;
    await connectors.ready();

    const result = await run;
    expect(result.steps.map((s) => [s.name, s.state])).toEqual([
      ['postgres', 'ready'],
      ['kafka', 'ready'],
      ['migrations', 'ready'],
      ['connectors', 'ready'],
    ]);
    expect(lines.map((l) => l.replace(/\(\+[0-9.]+ s\)/, '(+t)'))).toEqual(['postgres ready (+t)', 'migrations ready (+t)', 'kafka ready (+t)', 'connectors ready (+t)']);
    await expect(result.complete).resolves.toBeUndefined();
  });

  it('when a non-fatal step fails, the rest comes up and what needs it waits until it recovers', async () => {
    const postgres = new Step('postgres', [], true);
    const kafka = new Step('kafka');
    const connect = new Step('kafka-connect', ['kafka']);
    const monolith = new Step('monolith', ['postgres']);
    let recovered!: () => void;
    kafka.recover = () => new Promise<void>((resolve) => (recovered = resolve));
    const lines: string[] = [];
    const run = runStartGraph([postgres, kafka, connect, monolith], { report: (line) => lines.push(line) });
    await kafka.fail('port 9092 taken');
    await postgres.ready();
    await monolith.whenStarted;
    await monolith.ready();

    const result = await run;
    expect(result.steps).toEqual([
      { name: 'postgres', state: 'ready', readyAfterMs: expect.any(Number) },
      { name: 'kafka', state: 'failed', reason: 'port 9092 taken' },
      { name: 'kafka-connect', state: 'waiting', reason: 'waits for kafka, which failed' },
      { name: 'monolith', state: 'ready', readyAfterMs: expect.any(Number) },
    ]);
    expect(lines.some((l) => l.startsWith('kafka FAILED to start') && l.endsWith('port 9092 taken'))).toBe(true);
    expect(connect.started).toBe(false);

    recovered();
    await connect.whenStarted;
    await connect.ready();
    await expect(result.complete).resolves.toBeUndefined();
    expect(lines.some((l) => l.startsWith('kafka ready after all'))).toBe(true);
  });

  it('when a fatal step fails, the steps in progress are aborted and the start rejects naming it', async () => {
    const postgres = new Step('postgres', [], true);
    const kafka = new Step('kafka');
    const monolith = new Step('monolith', ['postgres']);
    const run = runStartGraph([postgres, kafka, monolith]);
    await postgres.fail('initdb: Permission denied');

    const error = await run.catch((err: unknown) => err);
    expect(error).toBeInstanceOf(FatalStartError);
    expect((error as FatalStartError).step).toBe('postgres');
    expect((error as Error).message).toBe('postgres failed to start: initdb: Permission denied');
    expect(kafka.aborted).toBe(true);
    expect(monolith.started).toBe(false);
  });

  it('a fatal step waits while what it needs recovers, and fails the start when that recovery gives up', async () => {
    const monolith = new Step('monolith');
    const proxy = new Step('proxy', ['monolith'], true);
    let giveUp!: (error: Error) => void;
    monolith.recover = () => new Promise<void>((_resolve, reject) => (giveUp = reject));
    let settled = false;
    const run = runStartGraph([monolith, proxy]).finally(() => (settled = true));
    run.catch(() => {});
    await monolith.fail('exited with code 1');
    await tick();
    expect(settled).toBe(false);

    giveUp(new Error('8 restarts within 300 s'));
    const error = await run.catch((err: unknown) => err);
    expect(error).toBeInstanceOf(FatalStartError);
    expect((error as FatalStartError).step).toBe('proxy');
    expect(proxy.started).toBe(false);
  });

  it('Ctrl-C during the start aborts every step in progress and rejects once they have stopped', async () => {
    const postgres = new Step('postgres', [], true);
    const kafka = new Step('kafka');
    const ctrlC = new AbortController();
    const run = runStartGraph([postgres, kafka], { signal: ctrlC.signal });
    await postgres.ready();
    await tick();
    ctrlC.abort(new Error('interrupted'));

    await expect(run).rejects.toThrow('interrupted');
    expect(kafka.aborted).toBe(true);
  });
});
