// The proxy under benchmark, in its own process: the real runtime (Express, http-proxy-middleware,
// breakers, health checks) with the real unleash-client, bootstrapped from the bench manifests
// (no Unleash server is contacted: flag evaluation is local in unleash-client either way).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { proxyConfigSchema } from '@strangler/strangler-proxy/config.js';
import { startProxy } from '@strangler/strangler-proxy/runtime.js';

const [monolithPort, servicePort] = process.argv.slice(2);
const dir = mkdtempSync(join(tmpdir(), 'bench-manifests-'));
writeFileSync(join(dir, 'services.yaml'), 'services: [legacy-monolith, bench-service, legacy-service, shadow-service]\n');
writeFileSync(
  join(dir, 'bench.yaml'),
  `domain: bench
adr: 12
service: { name: bench-service, urls: [http://127.0.0.1:${servicePort}] }
stage: new
routes:
  - { method: GET, path: /bench/new }
  - { method: GET, path: /bench/items/:id }
`,
);
writeFileSync(
  join(dir, 'legacy.yaml'),
  `domain: legacy
adr: 12
service: { name: legacy-service, urls: [http://127.0.0.1:${servicePort}] }
stage: legacy
routes:
  - { method: GET, path: /bench/legacy }
`,
);
// The shadow route: the monolith serves, the service gets a copy, and every copy's answer is compared
// with the user's (comparison on, its defaults: noise sampled on 10% of them).
writeFileSync(
  join(dir, 'shadow.yaml'),
  `domain: shadow
adr: 23
service: { name: shadow-service, urls: [http://127.0.0.1:${servicePort}] }
stage: shadow
routes:
  - { method: GET, path: /bench/shadow }
compare: { shadowRate: 1 }
`,
);
const config = proxyConfigSchema.parse({
  PORT: '0',
  ADMIN_PORT: '0',
  LOG_LEVEL: 'silent',
  MONOLITH_URLS: `http://127.0.0.1:${monolithPort}`,
  MANIFEST_DIR: dir,
  UNLEASH_URL: 'http://127.0.0.1:9',
  UNLEASH_CLIENT_TOKEN: 'default:development.bench',
  UNLEASH_BACKUP_DIR: mkdtempSync(join(tmpdir(), 'bench-backup-')),
  UNLEASH_REFRESH_MS: '60000',
  // Shadow copies at 1,000 req/s: room for every copy (each lives about a millisecond).
  SHADOW_MAX_IN_FLIGHT: '256',
});
const proxy = await startProxy(config);
process.stdout.write(`${JSON.stringify({ url: proxy.url, adminUrl: proxy.adminUrl, pid: process.pid })}\n`);
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    void proxy.close().finally(() => process.exit(0));
  });
}
