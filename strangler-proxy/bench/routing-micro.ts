// Microbenchmark of the per-request routing decision: path normalisation, route match and flag
// evaluation with the real unleash-client (bootstrapped; evaluation is local and synchronous).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseManifest } from '@strangler/manifests';
import { createLogger } from '@strangler/platform';
import { decide } from '@strangler/strangler-proxy/routing/decide.js';
import { normalisePath } from '@strangler/strangler-proxy/routing/normalise-path.js';
import { RouteTable } from '@strangler/strangler-proxy/routing/route-table.js';
import { UnleashFlagReader } from '@strangler/strangler-proxy/flags/unleash-flag-reader.js';

export interface MicroResult {
  iterations: number;
  normaliseNs: number;
  matchNs: number;
  decideNs: number;
  totalNs: number;
}

function manifest(domain: string, stage: string, percentage: number, routes: string[]) {
  return parseManifest(
    `domain: ${domain}\nadr: 12\nservice: { name: ${domain}-service, urls: [http://127.0.0.1:1] }\nstage: ${stage}\npercentage: ${percentage}\nroutes:\n${routes.map((r) => `  - { method: GET, path: ${r} }`).join('\n')}\n`,
    `${domain}.yaml`,
  );
}

export async function routingMicrobenchmark(iterations = 500_000): Promise<MicroResult> {
  // A realistic table: 6 domains, 30 routes, one canary domain at 30 %.
  const manifests = ['catalog', 'inventory', 'orders', 'payments', 'users', 'notifications'].map((d, i) =>
    manifest(d, i === 0 ? 'canary' : i % 2 ? 'new' : 'legacy', 30, [`/api/${d}`, `/api/${d}/:id`, `/api/${d}/:id/items`, `/api/${d}/:id/items/:itemId`, `/api/${d}/search`]),
  );
  const table = new RouteTable(manifests);
  const flags = await UnleashFlagReader.start({
    url: 'http://127.0.0.1:9',
    clientToken: 'default:development.bench',
    appName: 'routing-micro',
    refreshIntervalMs: 600_000,
    backupPath: mkdtempSync(join(tmpdir(), 'micro-backup-')),
    routes: table.routes,
    logger: createLogger('bench', 'silent'),
  });
  const urls = ['/api/catalog/42?x=1', '/api/orders/7/items/3', '/api/users/search', '/api//payments/%2e/9', '/api/unknown/path'];
  const users = Array.from({ length: 1000 }, (_, i) => ({ userId: `user-${i}` }));
  let sink = 0;
  const time = (fn: (i: number) => void) => {
    for (let i = 0; i < 20_000; i++) fn(i);
    const start = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) fn(i);
    return Number(process.hrtime.bigint() - start) / iterations;
  };
  const normalised = urls.map((u) => normalisePath(u)).map((n) => (n.ok ? n.path : '/'));
  const matched = normalised.map((p) => table.match('GET', p));
  const normaliseNs = time((i) => {
    const r = normalisePath(urls[i % urls.length]!);
    if (r.ok) sink += r.path.length;
  });
  const matchNs = time((i) => {
    if (table.match('GET', normalised[i % normalised.length]!)) sink++;
  });
  const decideNs = time((i) => {
    const route = matched[i % matched.length];
    if (route && decide(route, 'GET', flags, users[i % users.length]!).side === 'new') sink++;
  });
  const totalNs = time((i) => {
    const n = normalisePath(urls[i % urls.length]!);
    const route = n.ok ? table.match('GET', n.path) : undefined;
    if (route && decide(route, 'GET', flags, users[i % users.length]!).side === 'new') sink++;
  });
  flags.destroy();
  if (sink < 0) console.log(sink);
  return { iterations, normaliseNs, matchNs, decideNs, totalNs };
}
