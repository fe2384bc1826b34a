import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SERVER = fileURLToPath(new URL('../dist/server.js', import.meta.url));

const catalog = (extra = '', routes = '  - { method: GET, path: /api/products }') => `domain: catalog
adr: 9
service: { name: catalog-service, urls: [http://127.0.0.1:4101] }
routes:
${routes}
${extra}`;

/** Starts the real proxy entry point on a manifest folder and returns its exit code and output. */
function startWith(files: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), 'bad-manifests-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  const run = spawnSync(process.execPath, [SERVER], {
    env: { ...process.env, MANIFEST_DIR: dir, PORT: '0', ADMIN_PORT: '0', UNLEASH_CLIENT_TOKEN: 'default:development.unused', UNLEASH_URL: 'http://127.0.0.1:9' },
    encoding: 'utf8',
    timeout: 20_000,
  });
  return { code: run.status, output: `${run.stdout}${run.stderr}` };
}

const registry = { 'services.yaml': 'services: [legacy-monolith, catalog-service, orders-service]\n' };

describe('the proxy refuses to start on a bad manifest, naming the file, the field and the reason', () => {
  it('a field with an invalid value', () => {
    const { code, output } = startWith({ ...registry, 'catalog.yaml': catalog('stage: beta') });
    expect(code).toBe(78);
    expect(output).toContain('catalog.yaml');
    expect(output).toContain('"field":"stage"');
  });

  it('a service missing from the registry', () => {
    const { code, output } = startWith({ ...registry, 'catalog.yaml': catalog().replace('catalog-service', 'katalog-service') });
    expect(code).toBe(78);
    expect(output).toContain('"field":"service.name"');
    expect(output).toContain('unknown service');
  });

  it('a route claimed by two domains', () => {
    const orders = catalog().replace('domain: catalog', 'domain: orders').replace('catalog-service', 'orders-service');
    const { code, output } = startWith({ ...registry, 'catalog.yaml': catalog(), 'orders.yaml': orders });
    expect(code).toBe(78);
    expect(output).toContain('orders.yaml');
    expect(output).toContain('already claimed by domain');
  });

  it('a malformed path template', () => {
    const { code, output } = startWith({ ...registry, 'catalog.yaml': catalog('', '  - { method: GET, path: "/api/products/*" }') });
    expect(code).toBe(78);
    expect(output).toContain('"field":"routes.0.path"');
    expect(output).toContain('must be a path template');
  });

  it('a file that is not valid YAML', () => {
    const { code, output } = startWith({ ...registry, 'catalog.yaml': 'domain: catalog\nroutes: [\n' });
    expect(code).toBe(78);
    expect(output).toContain('catalog.yaml');
  });
});
