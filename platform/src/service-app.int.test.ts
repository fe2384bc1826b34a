import { Router } from 'express';
import { PassThrough } from 'node:stream';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Api } from './api.js';
import { createMetricsRegistry } from './health.js';
import { createLogger } from './logger.js';
import { buildServiceApp } from './service-app.js';

function service() {
  const stream = new PassThrough();
  const lines: Record<string, unknown>[] = [];
  stream.on('data', (chunk: Buffer) => lines.push(...chunk.toString().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)));
  const api = new Api();
  const router = Router();
  const tags = ['test'];
  api.route(router, { method: 'get', path: '/api/things/:id', summary: 'A thing', tags, params: z.object({ id: z.string() }), responses: { 200: { description: 'ok' } } }, ({ params }) => ({ status: 200, body: { id: params.id } }));
  api.route(router, { method: 'post', path: '/api/things', summary: 'Make a thing', tags, body: z.object({ name: z.string() }), responses: { 201: { description: 'made' } } }, ({ body }) => ({ status: 201, body }));
  const registry = createMetricsRegistry('test-service');
  const app = buildServiceApp({ logger: createLogger('test-service', 'info', stream), registry, api, openApi: { title: 'test', version: '1' }, routers: [router], readiness: {} });
  return { app, lines, registry };
}

describe('the service app', () => {
  it('logs one line per write, with its route template and request id, and none per read', async () => {
    const { app, lines } = service();
    await request(app).get('/api/things/1').set('x-request-id', 'read-1').expect(200, { id: '1' });
    await request(app).post('/api/things').set('x-request-id', 'write-1').send({ name: 'box' }).expect(201, { name: 'box' });
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines).toEqual([expect.objectContaining({ message: 'write served', requestId: 'write-1', method: 'POST', route: '/api/things', status: 201 })]);
  });

  it('counts every request in the HTTP metrics by method, route template and status', async () => {
    const { app, registry } = service();
    await request(app).get('/api/things/1').expect(200);
    await request(app).get('/api/nothing').expect(404);
    const text = await registry.metrics();
    expect(text).toMatch(/http_server_request_duration_seconds_count\{service="test-service",method="GET",route="\/api\/things\/:id",status="200"\} 1/);
    expect(text).toMatch(/http_server_request_duration_seconds_count\{service="test-service",method="GET",route="unmatched",status="404"\} 1/);
  });

  it('serves its own routes as Express matches paths: any case, with or without a trailing slash', async () => {
    const { app } = service();
    await request(app).get('/HealthZ/').expect(200, { status: 'ok' });
    await request(app).get('/readyz').expect(200, { status: 'ready', checks: {} });
    const doc = await request(app).get('/openapi.json').expect(200);
    expect(Object.keys(doc.body.paths as object).sort()).toEqual(['/api/things', '/api/things/{id}']);
    await request(app).post('/healthz').expect(404);
  });

  it('parses a JSON body only when the request has one', async () => {
    const { app } = service();
    await request(app).post('/api/things').set('content-type', 'application/json').send('{"name":').expect(400);
    const empty = await request(app).post('/api/things').set('content-type', 'application/json').expect(400);
    expect(empty.body.error).toMatchObject({ code: 'validation_failed', message: 'body.name: Invalid input: expected string, received undefined' });
  });
});
