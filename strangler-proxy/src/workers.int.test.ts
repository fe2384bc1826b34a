import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const SERVER = fileURLToPath(new URL('../dist/server.js', import.meta.url));
const REQUESTS = 40;

/** One GET on a connection of its own, so that the cluster can hand each to either worker. */
function getOnNewConnection(url: string): Promise<{ status: number; servedBy: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, headers: { connection: 'close' } }, (res) => {
      res.resume();
      res.once('end', () => resolve({ status: res.statusCode ?? 0, servedBy: res.headers['x-served-by'] as string | undefined }));
    });
    req.once('error', reject);
  });
}

/** The value of every series of a metric in a Prometheus text, by its label text. */
function series(text: string, name: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const labels = line.slice(name.length, line.lastIndexOf('}') + 1);
    out.set(labels, Number(line.slice(line.lastIndexOf(' ') + 1)));
  }
  return out;
}

describe('PROXY_WORKERS=2: one proxy, two worker processes', () => {
  let upstream: http.Server;
  let proxy: ChildProcess;
  let url = '';
  let adminUrl = '';
  const output: string[] = [];

  beforeAll(async () => {
    upstream = http.createServer((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
    await new Promise<void>((done) => upstream.listen(0, '127.0.0.1', done));
    const monolith = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
    const dir = mkdtempSync(join(tmpdir(), 'workers-manifests-'));
    writeFileSync(join(dir, 'services.yaml'), 'services: [legacy-monolith, catalog-service]\n');
    writeFileSync(join(dir, 'catalog.yaml'), `domain: catalog\nadr: 9\nservice: { name: catalog-service, urls: [${monolith}] }\nroutes:\n  - { method: GET, path: /api/products }\n`);
    const inherited = { ...process.env };
    for (const name of ['PROXY_DATABASE_URL', 'UNLEASH_ADMIN_TOKEN', 'REDIS_URL', 'JWT_PUBLIC_KEY', 'SERVICE_URLS']) delete inherited[name];
    proxy = spawn(process.execPath, [SERVER], {
      env: {
        ...inherited,
        PROXY_WORKERS: '2',
        MANIFEST_DIR: dir,
        PORT: '0',
        ADMIN_PORT: '0',
        MONOLITH_URLS: monolith,
        UNLEASH_URL: 'http://127.0.0.1:9',
        UNLEASH_CLIENT_TOKEN: 'default:development.unused',
        UNLEASH_BACKUP_DIR: mkdtempSync(join(tmpdir(), 'workers-unleash-')),
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    proxy.stderr!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    // Each worker logs `proxy listening`; worker 0's line carries the admin URL.
    await new Promise<void>((ready, fail) => {
      let listening = 0;
      const timer = setTimeout(() => fail(new Error(`the workers did not start within 60 s:\n${output.join('')}`)), 60_000);
      proxy.once('exit', (code) => fail(new Error(`the proxy exited with ${code}:\n${output.join('')}`)));
      createInterface({ input: proxy.stdout! }).on('line', (line) => {
        output.push(line);
        if (!line.includes('proxy listening')) return;
        const entry = JSON.parse(line) as { url: string; adminUrl: string };
        url = entry.url;
        if (entry.adminUrl) adminUrl = entry.adminUrl;
        if (++listening === 2) {
          clearTimeout(timer);
          ready();
        }
      });
    });
  }, 90_000);

  afterAll(async () => {
    if (proxy && proxy.exitCode === null) {
      const exited = new Promise((done) => proxy.once('exit', done));
      proxy.kill('SIGTERM');
      await exited;
    }
    await new Promise((done) => upstream?.close(done));
  });

  it('serves requests from both workers, and worker 0 shows the metrics of both summed', async () => {
    expect(adminUrl).not.toBe('');
    for (let i = 0; i < REQUESTS; i++) {
      expect(await getOnNewConnection(`${url}/api/products`)).toEqual({ status: 200, servedBy: 'legacy-monolith' });
    }
    // The counters are incremented once each answer is finished: read until all are in.
    const deadline = Date.now() + 30_000;
    let text = '';
    let total = 0;
    while (Date.now() < deadline) {
      text = await (await fetch(`${adminUrl}/metrics`)).text();
      total = [...series(text, 'proxy_requests_total').values()].reduce((a, b) => a + b, 0);
      if (total >= REQUESTS) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(total).toBe(REQUESTS);
    const perWorker = series(text, 'proxy_worker_requests_total');
    const byWorker = Object.fromEntries([...perWorker].map(([labels, n]) => [/worker="(\d+)"/.exec(labels)![1]!, n]));
    expect(Object.keys(byWorker).sort()).toEqual(['0', '1']);
    expect(byWorker['0']).toBeGreaterThan(0);
    expect(byWorker['1']).toBeGreaterThan(0);
    expect(byWorker['0']! + byWorker['1']!).toBe(REQUESTS);
    // A gauge is not summed: each worker's breaker of the monolith is closed (0), and so is the aggregate.
    const breaker = [...series(text, 'proxy_breaker_state')].find(([labels]) => labels.includes('service="legacy-monolith"'));
    expect(breaker?.[1]).toBe(0);
  }, 90_000);

  it('stops both workers and the primary on SIGTERM', async () => {
    const exited = new Promise<number | null>((done) => proxy.once('exit', (code) => done(code)));
    proxy.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 60_000);
});
