import type { Express } from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestMonolith, type TestMonolith } from '../../test-support/monolith.js';

interface Layer {
  route?: { path: string; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
}

/** Every `METHOD /path` the Express app really serves under /api, read from its router stack. */
function servedApiRoutes(app: Express): string[] {
  const out: string[] = [];
  const walk = (stack: Layer[]) => {
    for (const layer of stack) {
      if (layer.route) {
        for (const method of Object.keys(layer.route.methods)) {
          if (method !== '_all' && layer.route.path.startsWith('/api/')) out.push(`${method.toUpperCase()} ${layer.route.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}')}`);
        }
      } else if (layer.handle?.stack) walk(layer.handle.stack);
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack);
  return out.sort();
}

describe('GET /openapi.json', () => {
  let t: TestMonolith;
  beforeAll(async () => {
    t = await startTestMonolith();
  });
  afterAll(async () => {
    await t.close();
  });

  it('describes exactly the routes the monolith serves', async () => {
    const doc = (await request(t.app).get('/openapi.json').expect(200)).body as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(doc.openapi).toBe('3.1.0');
    const documented = Object.entries(doc.paths)
      .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`))
      .sort();
    const served = servedApiRoutes(t.app);
    expect(served.length).toBeGreaterThanOrEqual(20);
    expect(documented).toEqual(served);
  });

  it('documents the request schemas that validate, e.g. the checkout card and the Idempotency-Key header', async () => {
    const doc = (await request(t.app).get('/openapi.json')).body as { paths: Record<string, Record<string, { parameters?: { name: string; in: string }[]; requestBody?: unknown }>> };
    const checkout = doc.paths['/api/orders/checkout']?.post;
    expect(checkout?.requestBody).toBeDefined();
    expect(checkout?.parameters?.some((p) => p.in === 'header' && p.name.toLowerCase() === 'idempotency-key')).toBe(true);
  });
});
