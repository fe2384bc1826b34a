import { describe, expect, it } from 'vitest';
import { ManifestError, parseManifest, parseServices, validateManifestSet, type LoadedManifest } from './load-manifests.js';

const catalogYaml = `
domain: catalog
adr: 9
service: { name: catalog-service, urls: [http://127.0.0.1:4101] }
stage: canary
percentage: 30
routes:
  - { method: GET, path: /api/products }
  - { method: GET, path: /api/products/:id }
capture: { tables: [public.products] }
`;

function manifestError(fn: () => unknown): ManifestError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ManifestError) return err;
    throw err;
  }
  throw new Error('expected a ManifestError');
}

function manifest(text: string, file = 'migrations/catalog.yaml'): LoadedManifest {
  return parseManifest(text, file);
}

describe('a domain manifest', () => {
  it('is accepted with its routes, stage, percentage and captured tables', () => {
    const m = manifest(catalogYaml);
    expect(m).toMatchObject({ domain: 'catalog', stage: 'canary', percentage: 30, service: { healthPath: '/healthz' } });
    expect(m.routes).toHaveLength(2);
  });

  it('that is not valid YAML is rejected with its line', () => {
    const err = manifestError(() => manifest('domain: catalog\n  adr: [9'));
    expect(err.file).toBe('migrations/catalog.yaml');
    expect(err.field).toMatch(/^line \d+$|\(yaml\)/);
  });

  it('with an unknown stage is rejected naming the field', () => {
    const err = manifestError(() => manifest(catalogYaml.replace('stage: canary', 'stage: beta')));
    expect(err.field).toBe('stage');
  });

  it('with a percentage above 100 is rejected naming the field', () => {
    const err = manifestError(() => manifest(catalogYaml.replace('percentage: 30', 'percentage: 130')));
    expect(err.field).toBe('percentage');
  });

  it('with an unknown field is rejected', () => {
    const err = manifestError(() => manifest(`${catalogYaml}owner: me\n`));
    expect(err.field).toBe('(root)');
    expect(err.reason).toMatch(/owner/);
  });

  it.each([
    ['a relative path', 'api/products'],
    ['a wildcard', '/api/*'],
    ['an encoded character', '/api/%2e%2e/admin'],
    ['a dot-dot segment', '/api/../admin'],
    ['an empty segment', '/api//products'],
    ['a trailing slash', '/api/products/'],
    ['a segment ending in a dot', '/api/products.'],
    ['a repeated parameter', '/api/:id/items/:id'],
    ['a parameter without a name', '/api/products/:'],
  ])('with %s as a path template is rejected naming the route', (_label, path) => {
    const err = manifestError(() => manifest(catalogYaml.replace('path: /api/products/:id', `path: "${path}"`)));
    expect(err.field).toBe('routes.1.path');
  });

  it('gates flips at a watermark lag of 2,000 ms and lets a read wait 500 ms for its own write, unless it says otherwise', () => {
    expect(manifest(catalogYaml)).toMatchObject({ maxLagMs: 2000, readYourWrites: { waitMs: 500 } });
    expect(manifest(`${catalogYaml}maxLagMs: 5000\nreadYourWrites: { waitMs: 0 }\n`)).toMatchObject({ maxLagMs: 5000, readYourWrites: { waitMs: 0 } });
  });

  it.each([
    ['maxLagMs: -1', 'maxLagMs'],
    ['maxLagMs: 1.5', 'maxLagMs'],
    ['readYourWrites: { waitMs: 60000 }', 'readYourWrites.waitMs'],
    ['readYourWrites: { wait: 100 }', 'readYourWrites'],
  ])('with %s is rejected naming the field', (line, field) => {
    expect(manifestError(() => manifest(`${catalogYaml}${line}\n`)).field).toBe(field);
  });

  it('allows every stage when it lists no stages', () => {
    expect(manifest(catalogYaml).stages).toEqual(['legacy', 'shadow', 'canary', 'new', 'owned']);
  });

  it('may list the stages its domain takes, skipping some', () => {
    expect(manifest(catalogYaml.replace('stage: canary', 'stages: [legacy, canary, new]\nstage: canary')).stages).toEqual(['legacy', 'canary', 'new']);
  });

  it.each([
    ['without legacy', '[shadow, canary]', /must include legacy/],
    ['out of order', '[legacy, canary, shadow]', /in the order legacy, shadow, canary, new, owned/],
    ['with a stage twice', '[legacy, canary, canary]', /each stage once/],
    ['with an unknown stage', '[legacy, beta]', /expected one of/],
  ])('listing stages %s is rejected naming the field', (_label, stages, reason) => {
    const err = manifestError(() => manifest(catalogYaml.replace('stage: canary', `stages: ${stages}\nstage: canary`)));
    expect(err).toMatchObject({ file: 'migrations/catalog.yaml', field: expect.stringMatching(/^stages/) });
    expect(err.reason).toMatch(reason);
  });

  it('whose own stage is not in its stages is rejected naming the field', () => {
    const err = manifestError(() => manifest(catalogYaml.replace('stage: canary', 'stages: [legacy, shadow]\nstage: canary')));
    expect(err).toMatchObject({ file: 'migrations/catalog.yaml', field: 'stage', reason: 'canary is not in stages (legacy, shadow)' });
  });

  it('with a route stage that is not in its stages is rejected naming the route', () => {
    const err = manifestError(() =>
      manifest(catalogYaml.replace('stage: canary', 'stages: [legacy, shadow, canary, new]\nstage: canary').replace('path: /api/products/:id }', 'path: /api/products/:id, stage: owned }')),
    );
    expect(err).toMatchObject({ file: 'migrations/catalog.yaml', field: 'routes.1.stage', reason: 'owned is not in stages (legacy, shadow, canary, new)' });
  });

  it('without a service is accepted at legacy, with every route claimed and only legacy allowed', () => {
    const m = manifest('domain: users\nadr: 18\nroutes:\n  - { method: POST, path: /api/auth/login }\n', 'migrations/users.yaml');
    expect(m).toMatchObject({ domain: 'users', stage: 'legacy', stages: ['legacy'] });
    expect(m.service).toBeUndefined();
  });

  it('without a service and without routes is accepted (a domain called in-process only)', () => {
    expect(manifest('domain: payments\nadr: 18\n', 'migrations/payments.yaml').routes).toEqual([]);
  });

  it('without a service but with a stage beyond legacy is rejected naming the field', () => {
    const err = manifestError(() => manifest('domain: users\nadr: 18\nstages: [legacy, shadow]\nroutes:\n  - { method: GET, path: /api/users/me }\n', 'migrations/users.yaml'));
    expect(err).toMatchObject({ file: 'migrations/users.yaml', field: 'stages', reason: 'shadow needs a service: a domain without service.name can only be at legacy' });
  });

  it('without a service whose stage is not legacy is rejected naming the field', () => {
    const err = manifestError(() => manifest('domain: users\nadr: 18\nstage: canary\nroutes:\n  - { method: GET, path: /api/users/me }\n', 'migrations/users.yaml'));
    expect(err).toMatchObject({ field: 'stage', reason: 'canary is not in stages (legacy)' });
  });

  it('with a service but no route is rejected naming the field', () => {
    const err = manifestError(() => manifest(catalogYaml.replace(/routes:\n( {2}- .*\n)+/, '')));
    expect(err).toMatchObject({ field: 'routes', reason: expect.stringMatching(/needs at least one route/) });
  });

  it('may name its events: the service’s outbox table and the topic they go to', () => {
    const m = manifest(`${catalogYaml}events: { table: public.outbox_events, topic: catalog.events }\n`);
    expect(m.events).toEqual({ table: 'public.outbox_events', topic: 'catalog.events' });
  });

  it.each([
    ['events: { table: outbox_events, topic: catalog.events }', 'events.table', /schema\.table/],
    ['events: { table: public.outbox_events, topic: Catalog Events }', 'events.topic', /lower-case words joined by dots/],
    ['events: { table: public.outbox_events }', 'events.topic', /./],
  ])('with %s is rejected naming the field', (line, field, reason) => {
    const err = manifestError(() => manifest(`${catalogYaml}${line}\n`));
    expect(err).toMatchObject({ field, reason: expect.stringMatching(reason) });
  });

  it('with events but without a service is rejected naming the field', () => {
    const err = manifestError(() => manifest('domain: users\nadr: 18\nevents: { table: public.outbox_events, topic: users.events }\n', 'migrations/users.yaml'));
    expect(err).toMatchObject({ field: 'events', reason: expect.stringMatching(/needs a service/) });
  });

  it('whose domain does not match its file name is rejected', () => {
    const err = manifestError(() => manifest(catalogYaml, 'migrations/products.yaml'));
    expect(err.field).toBe('domain');
  });
});

describe('the set of manifests', () => {
  const registry = parseServices('services: [legacy-monolith, catalog-service, orders-service]', 'migrations/services.yaml');

  it('is accepted when every service is known and every route has one owner', () => {
    expect(validateManifestSet([manifest(catalogYaml)], registry)).toHaveLength(1);
  });

  it('stops on a service missing from the registry', () => {
    const orders = manifest(catalogYaml.replace('domain: catalog', 'domain: orders').replace('catalog-service', 'order-service').replace(/\/api\/products/g, '/api/orders'), 'migrations/orders.yaml');
    const err = manifestError(() => validateManifestSet([manifest(catalogYaml), orders], registry));
    expect(err).toMatchObject({ file: 'migrations/orders.yaml', field: 'service.name' });
    expect(err.reason).toMatch(/unknown service "order-service"/);
  });

  it('stops on a route claimed by two domains, even under another parameter name', () => {
    const orders = manifest(
      catalogYaml.replace('domain: catalog', 'domain: orders').replace('catalog-service', 'orders-service').replace('/api/products/:id', '/api/products/:sku').replace('path: /api/products }', 'path: /api/orders }'),
      'migrations/orders.yaml',
    );
    const err = manifestError(() => validateManifestSet([manifest(catalogYaml), orders], registry));
    expect(err).toMatchObject({ file: 'migrations/orders.yaml', field: 'routes.1' });
    expect(err.reason).toBe('GET /api/products/:sku is already claimed by domain "catalog" in migrations/catalog.yaml (routes.1); a route belongs to one domain');
  });

  it('stops on a route claimed by a domain without a service, naming both files', () => {
    const users = manifest('domain: users\nadr: 18\nroutes:\n  - { method: GET, path: /api/products }\n', 'migrations/users.yaml');
    const err = manifestError(() => validateManifestSet([manifest(catalogYaml), users], registry));
    expect(err.message).toMatch(/^migrations\/users\.yaml: routes\.0: GET \/api\/products is already claimed by domain "catalog" in migrations\/catalog\.yaml/);
  });

  it('accepts domains without a service beside those with one', () => {
    const users = manifest('domain: users\nadr: 18\nroutes:\n  - { method: GET, path: /api/users/me }\n', 'migrations/users.yaml');
    const payments = manifest('domain: payments\nadr: 18\n', 'migrations/payments.yaml');
    expect(validateManifestSet([manifest(catalogYaml), users, payments], registry)).toHaveLength(3);
  });

  it('stops on two domains that target the same service', () => {
    const other = manifest(catalogYaml.replace('domain: catalog', 'domain: search').replace(/\/api\/products/g, '/api/search'), 'migrations/search.yaml');
    const err = manifestError(() => validateManifestSet([manifest(catalogYaml), other], registry));
    expect(err).toMatchObject({ file: 'migrations/search.yaml', field: 'service.name' });
  });

  it('stops on a registry that is not a list of service names', () => {
    const err = manifestError(() => parseServices('services: [Catalog Service]', 'migrations/services.yaml'));
    expect(err).toMatchObject({ file: 'migrations/services.yaml', field: 'services.0' });
  });
});
