import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const platform = pathToFileURL(resolve(import.meta.dirname, '../dist/index.js')).href;

/** A process whose only cleanup never finishes on its own, so that shutdown stays in progress. */
const script = `
import { createLogger, gracefulShutdown } from ${JSON.stringify(platform)};
gracefulShutdown({ logger: createLogger('shutdown-test', 'info'), cleanups: [() => new Promise(() => setInterval(() => {}, 1000))], timeoutMs: 60000 });
setInterval(() => {}, 1000); // a server would keep the process alive
console.log('ready');
`;

describe('graceful shutdown (in a real process)', () => {
  it('exits at once with code 1, saying so, when Ctrl-C comes twice while cleanups still run', async () => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    const seen = (text: string) =>
      new Promise<void>((done) => {
        const check = () => output.includes(text) && done();
        child.stdout.on('data', (chunk: Buffer) => {
          output += chunk.toString();
          check();
        });
        check();
      });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => child.once('exit', (code, signal) => done({ code, signal })));

    await seen('ready');
    child.kill('SIGINT');
    await seen('shutting down');
    child.kill('SIGINT');

    expect(await exited).toEqual({ code: 1, signal: null });
    expect(output).toContain('second signal, exiting now');
  });
});
