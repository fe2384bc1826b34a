import { parseManifest, positionOf, rolloutOf } from '@strangler/manifests';
import { describe, expect, it } from 'vitest';
import { FlipService } from '../admin/flip-service.js';
import { FakeAuditLog } from '../audit/fake-audit-log.js';
import { rolloutFor } from '../flags/stage-strategy.js';
import { RouteTable } from './route-table.js';

const catalog = parseManifest(
  `
domain: catalog
adr: 9
service: { name: catalog-service, urls: [http://127.0.0.1:4101] }
stage: canary
percentage: 30
routes:
  - { method: GET, path: /api/products }
  - { method: GET, path: /api/products/:id }
  - { method: GET, path: /api/products/featured, stage: new }
  - { method: GET, path: /api/:section/featured }
  - { method: POST, path: /api/products }
`,
  'catalog.yaml',
);
const orders = parseManifest(
  `
domain: orders
adr: 10
service: { name: orders-service, urls: [http://127.0.0.1:4102] }
routes:
  - { method: GET, path: /api/orders/:id }
  - { method: POST, path: /api/orders/checkout }
`,
  'orders.yaml',
);
const table = new RouteTable([catalog, orders]);
const target = (method: string, path: string) => {
  const route = table.match(method, path);
  return route ? `${route.domain} ${route.template}` : 'monolith';
};

describe('the route table', () => {
  it.each([
    ['GET', '/api/products', 'catalog /api/products'],
    ['GET', '/api/products/42', 'catalog /api/products/:id'],
    ['GET', '/api/products/featured', 'catalog /api/products/featured'],
    ['GET', '/api/deals/featured', 'catalog /api/:section/featured'],
    ['POST', '/api/products', 'catalog /api/products'],
    ['GET', '/api/orders/7', 'orders /api/orders/:id'],
    ['POST', '/api/orders/checkout', 'orders /api/orders/checkout'],
  ])('routes %s %s to %s', (method, path, expected) => {
    expect(target(method, path)).toBe(expected);
  });

  it.each([
    ['DELETE', '/api/products/42'],
    ['GET', '/api/products/42/reviews'],
    ['GET', '/api'],
    ['GET', '/'],
    ['GET', '/api/categories'],
    ['POST', '/api/orders/7'],
  ])('sends unmatched %s %s to the monolith', (method, path) => {
    expect(target(method, path)).toBe('monolith');
  });

  it('matches literal segments case-insensitively, as Express does', () => {
    expect(target('GET', '/API/Products/42')).toBe('catalog /api/products/:id');
  });

  it('serves HEAD from the GET route when no HEAD route is declared', () => {
    expect(target('HEAD', '/api/products/42')).toBe('catalog /api/products/:id');
  });

  it('records per-route overrides and their flag names', () => {
    const featured = table.match('GET', '/api/products/featured');
    expect(featured).toMatchObject({ hasOverride: true, manifestStage: 'new', manifestPercentage: 100, routeFlag: 'strangler.catalog.get-api-products-featured', domainFlag: 'strangler.catalog' });
    expect(table.match('GET', '/api/products')).toMatchObject({ hasOverride: false, manifestStage: 'canary', manifestPercentage: 30 });
  });

  it('gives a route overridden at shadow the position a flip to shadow records (0 %, rollout 100)', async () => {
    const shadowed = new RouteTable([parseManifest(catalogWith('  - { method: GET, path: /api/categories, stage: shadow }'), 'catalog.yaml')]).match('GET', '/api/categories')!;
    let set: { stage: string; percentage: number } | undefined;
    const flips = new FlipService([catalog], {
      stages: { stageOf: async () => ({ stage: 'legacy', percentage: 0, enabled: true }), setStage: async (_flag, stage, percentage) => void (set = { stage, percentage }) },
      audit: new FakeAuditLog(),
      applyNow: async () => {},
      targetHealthy: () => true,
      logger: { error: () => {} },
    });
    const flipped = await flips.flip('catalog', { stage: 'shadow' }, 'ana');
    expect({ stage: shadowed.manifestStage, percentage: shadowed.manifestPercentage }).toEqual(flipped.to);
    expect(flipped.to).toEqual(positionOf('shadow'));
    expect(rolloutFor(shadowed.manifestStage, shadowed.manifestPercentage)).toBe(rolloutOf(flipped.to));
    expect(rolloutFor(set!.stage as 'shadow', set!.percentage)).toBe(100);
  });
});

function catalogWith(route: string): string {
  return `domain: catalog\nadr: 9\nservice: { name: catalog-service, urls: [http://127.0.0.1:4101] }\nroutes:\n  - { method: GET, path: /api/products }\n${route}\n`;
}
