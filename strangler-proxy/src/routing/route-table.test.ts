import { parseManifest } from '@strangler/manifests';
import { describe, expect, it } from 'vitest';
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
});
