import { parseManifest } from '@strangler/manifests';
import { describe, expect, it } from 'vitest';
import { FakeFlagReader } from '../flags/flag-reader.js';
import { decide } from './decide.js';
import { RouteTable } from './route-table.js';

const table = new RouteTable([
  parseManifest(
    `
domain: catalog
adr: 9
service: { name: catalog-service, urls: [http://127.0.0.1:4101] }
routes:
  - { method: GET, path: /api/products/:id }
  - { method: POST, path: /api/products }
  - { method: GET, path: /api/categories, stage: legacy }
`,
    'catalog.yaml',
  ),
]);
const getProduct = table.match('GET', '/api/products/1')!;
const postProduct = table.match('POST', '/api/products')!;
const categories = table.match('GET', '/api/categories')!;
const user = { userId: 'user-1' };

describe('the routing decision', () => {
  it('sends everything to the monolith when the domain flag is unknown', () => {
    expect(decide(getProduct, 'GET', new FakeFlagReader(), user).side).toBe('legacy');
  });

  it('at legacy, the monolith serves', () => {
    expect(decide(getProduct, 'GET', new FakeFlagReader().set('strangler.catalog', 'legacy'), user)).toMatchObject({ side: 'legacy', mirror: false });
  });

  it('at shadow, the monolith serves reads and the new service gets a copy', () => {
    const flags = new FakeFlagReader().set('strangler.catalog', 'shadow');
    expect(decide(getProduct, 'GET', flags, user)).toMatchObject({ side: 'legacy', mirror: true });
    expect(decide(postProduct, 'POST', flags, user)).toMatchObject({ side: 'legacy', mirror: false });
  });

  it('at canary, users in the rollout read from the new service and the others from the monolith', () => {
    const flags = new FakeFlagReader().set('strangler.catalog', 'canary', 50);
    const sides = new Set(Array.from({ length: 50 }, (_, i) => decide(getProduct, 'GET', flags, { userId: `u${i}` }).side));
    expect(sides).toEqual(new Set(['legacy', 'new']));
  });

  it('at new, reads go to the new service and writes stay with the monolith', () => {
    const flags = new FakeFlagReader().set('strangler.catalog', 'new');
    expect(decide(getProduct, 'GET', flags, user).side).toBe('new');
    expect(decide(getProduct, 'HEAD', flags, user).side).toBe('new');
    expect(decide(postProduct, 'POST', flags, user).side).toBe('legacy');
  });

  it('at owned, the new service also takes writes', () => {
    const flags = new FakeFlagReader().set('strangler.catalog', 'owned');
    expect(decide(postProduct, 'POST', flags, user).side).toBe('new');
  });

  it('a route override that is on wins over the domain flag', () => {
    const flags = new FakeFlagReader().set('strangler.catalog', 'new').set(categories.routeFlag, 'legacy');
    expect(decide(categories, 'GET', flags, user)).toMatchObject({ side: 'legacy', flag: categories.routeFlag });
    expect(decide(getProduct, 'GET', flags, user)).toMatchObject({ side: 'new', flag: 'strangler.catalog' });
  });

  it('a route override that is off leaves the route to the domain flag', () => {
    const flags = new FakeFlagReader().set('strangler.catalog', 'new').set(categories.routeFlag, 'legacy', 0, false);
    expect(decide(categories, 'GET', flags, user)).toMatchObject({ side: 'new', flag: 'strangler.catalog' });
  });
});

describe('a stage the manifest does not allow', () => {
  const readOnly = new RouteTable([
    parseManifest(
      `
domain: catalog
adr: 9
service: { name: catalog-service, urls: [http://127.0.0.1:4101] }
stages: [legacy, shadow, canary, new]
routes:
  - { method: GET, path: /api/products/:id }
  - { method: POST, path: /api/products }
`,
      'catalog.yaml',
    ),
  ]);

  it('is routed as the nearest allowed stage below it: owned set in Unleash keeps writes on the monolith', () => {
    const flags = new FakeFlagReader().set('strangler.catalog', 'owned');
    expect(decide(readOnly.match('POST', '/api/products')!, 'POST', flags, user)).toMatchObject({ side: 'legacy', stage: 'new' });
    expect(decide(readOnly.match('GET', '/api/products/1')!, 'GET', flags, user)).toMatchObject({ side: 'new', stage: 'new' });
  });
});
