import { spawn } from 'node:child_process';
import { Agent, get } from 'node:http';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const platform = pathToFileURL(resolve(import.meta.dirname, '../dist/index.js')).href;

/** Runs `body` as an ES module that can import the built platform library; collects its output. */
function run(body: string) {
  const script = `import { createLogger, gracefulShutdown } from ${JSON.stringify(platform)};\n${body}`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const seen = (pattern: RegExp) =>
    new Promise<RegExpMatchArray>((done) => {
      const check = () => {
        const match = pattern.exec(output);
        if (match) done(match);
        else child.stdout.once('data', () => setImmediate(check));
      };
      check();
    });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => child.once('exit', (code, signal) => done({ code, signal })));
  return { child, seen, exited, output: () => output };
}

describe('graceful shutdown (in a real process)', () => {
  it('exits at once with code 1, saying so, when Ctrl-C comes twice while cleanups still run', async () => {
    // The only cleanup never finishes on its own, so that shutdown stays in progress.
    const p = run(`
gracefulShutdown({ logger: createLogger('shutdown-test', 'info'), cleanups: [() => new Promise(() => setInterval(() => {}, 1000))], timeoutMs: 60000 });
setInterval(() => {}, 1000); // a server would keep the process alive
console.log('ready');
`);
    await p.seen(/ready/);
    p.child.kill('SIGINT');
    await p.seen(/shutting down/);
    p.child.kill('SIGINT');

    expect(await p.exited).toEqual({ code: 1, signal: null });
    expect(p.output()).toContain('second signal, exiting now');
  });

  it('lets a request in flight on a keep-alive connection finish, then closes it and runs the cleanups', async () => {
    // keepAliveTimeout far beyond the shutdown timeout, as in the monolith's server.ts.
    const p = run(`
import { createServer } from 'node:http';
const server = createServer((req, res) => { console.log('request started'); setTimeout(() => res.end('done'), 300); });
server.keepAliveTimeout = 65000;
server.listen(0, '127.0.0.1', () => console.log('port ' + server.address().port));
gracefulShutdown({ server, logger: createLogger('shutdown-test', 'info'), cleanups: [() => console.log('cleanups ran')], timeoutMs: 5000 });
`);
    const port = Number((await p.seen(/port (\d+)/))[1]);
    const agent = new Agent({ keepAlive: true });
    const response = new Promise<string>((done, fail) => {
      get({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => done(text));
      }).on('error', fail);
    });
    await p.seen(/request started/);
    p.child.kill('SIGTERM');

    expect(await response).toBe('done');
    expect(await p.exited).toEqual({ code: 0, signal: null });
    expect(p.output()).toContain('cleanups ran');
    agent.destroy();
  });
});
