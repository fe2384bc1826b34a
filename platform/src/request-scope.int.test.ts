import { Router } from 'express';
import { PassThrough } from 'node:stream';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Api } from './api.js';
import { createMetricsRegistry } from './health.js';
import { deepFreeze } from './json-response.js';
import { createLogger } from './logger.js';
import { COMMIT_LSN_HEADER, CONSISTENCY_TOKEN_COOKIE, CONSISTENCY_TOKEN_HEADER } from './lsn.js';
import { buildServiceApp } from './service-app.js';

/**
 * A service with a fast lane over `GET /api/things/:id` and `GET /api/things` (frozen answers, as a
 * cache keeps them), a GET route outside the lane, a route answering new objects, and a write. Each
 * handler counts its calls: a request the lane answers never reaches its handler.
 */
function service() {
  const stream = new PassThrough();
  const lines: Record<string, unknown>[] = [];
  stream.on('data', (chunk: Buffer) => lines.push(...chunk.toString().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)));
  const calls = { thing: 0, things: 0, other: 0, fresh: 0, headed: 0 };
  /** `changeWhileServing`: a writer changes the data while the next read of a thing is being served. */
  const data = { version: 0, things: new Map<string, object>(), changeWhileServing: false };
  const thing = (id: string, price: number) => data.things.set(id, deepFreeze({ id, name: `Thing «${id}»`, priceCents: price }));
  thing('1', 100);
  thing('2', 200);
  const api = new Api();
  const router = Router();
  const tags = ['test'];
  const responses = { 200: { description: 'ok' }, 404: { description: 'none' } };
  api.route(router, { method: 'get', path: '/api/things/:id', summary: 'A thing', tags, params: z.object({ id: z.string() }), responses }, ({ params }) => {
    calls.thing++;
    if (data.changeWhileServing) {
      data.changeWhileServing = false;
      data.version++;
    }
    const found = data.things.get(params.id);
    return found ? { status: 200, body: found } : { status: 404 };
  });
  const list = deepFreeze({ items: ['1', '2'] });
  api.route(router, { method: 'get', path: '/api/things', summary: 'Things', tags, responses }, () => {
    calls.things++;
    return { status: 200, body: list };
  });
  const other = deepFreeze({ other: true });
  api.route(router, { method: 'get', path: '/api/other', summary: 'Not in the lane', tags, responses }, () => {
    calls.other++;
    return { status: 200, body: other };
  });
  api.route(router, { method: 'get', path: '/api/headed', summary: 'An answer with a header of its own', tags, responses }, () => {
    calls.headed++;
    return { status: 200, body: other, headers: { 'cache-control': 'no-store' } };
  });
  api.route(router, { method: 'get', path: '/api/fresh', summary: 'A new answer each time', tags, responses }, () => {
    calls.fresh++;
    return { status: 200, body: { fresh: true } };
  });
  api.route(router, { method: 'post', path: '/api/things', summary: 'Make a thing', tags, body: z.object({ id: z.string() }), responses: { 201: { description: 'made' } } }, ({ body }) => {
    thing(body.id, 1);
    data.version++;
    return { status: 201, body: data.things.get(body.id) };
  });
  const registry = createMetricsRegistry('test-service');
  const app = buildServiceApp({
    logger: createLogger('test-service', 'info', stream),
    registry,
    api,
    openApi: { title: 'test', version: '1' },
    routers: [router],
    readiness: {},
    fastLane: { routes: ['/api/things/:id', '/api/things', '/api/fresh', '/api/headed'], version: () => data.version },
  });
  return { app, lines, registry, calls, data, thing };
}

/** What a client sees of an answer, but the Date header and the span id this process drew for it. */
function seen(res: request.Response) {
  const { date: _date, traceparent, ...headers } = res.headers as Record<string, string>;
  return { status: res.status, headers: Object.entries({ ...headers, trace: traceparent!.split('-')[1] }), text: res.text };
}

const TRACE = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

describe('the fast lane of the request scope', () => {
  it('answers a repeated GET with the same status, headers in the same order and bytes, without running the route', async () => {
    const { app, calls } = service();
    const first = await request(app).get('/api/things/1').set('x-request-id', 'r-1').set('traceparent', TRACE).expect(200);
    const again = await request(app).get('/api/things/1').set('x-request-id', 'r-1').set('traceparent', TRACE).expect(200);
    expect(calls.thing).toBe(1);
    expect(seen(again)).toEqual(seen(first));
    expect(again.headers['x-request-id']).toBe('r-1');
    expect(again.headers.etag).toMatch(/^W\/"/);
  });

  it('creates and echoes a request id and a trace for a lane answer, as for any request', async () => {
    const { app, calls } = service();
    await request(app).get('/api/things').expect(200);
    const again = await request(app).get('/api/things').expect(200, { items: ['1', '2'] });
    expect(calls.things).toBe(1);
    expect(again.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(again.headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  });

  it('counts lane answers in the HTTP metrics under their route template', async () => {
    const { app, registry } = service();
    for (let i = 0; i < 3; i++) await request(app).get('/api/things/2').expect(200);
    expect(await registry.metrics()).toMatch(/http_server_request_duration_seconds_count\{service="test-service",method="GET",route="\/api\/things\/:id",status="200"\} 3/);
  });

  it('sends the new answer once the version changed, and logs the write that changed it', async () => {
    const { app, calls, lines } = service();
    await request(app).get('/api/things/3').expect(404);
    await request(app).get('/api/things').expect(200);
    await request(app).post('/api/things').set('x-request-id', 'w-1').send({ id: '3' }).expect(201);
    await request(app).get('/api/things/3').expect(200, { id: '3', name: 'Thing «3»', priceCents: 1 });
    await request(app).get('/api/things').expect(200);
    expect(calls).toMatchObject({ thing: 2, things: 2 });
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines).toEqual([expect.objectContaining({ message: 'write served', requestId: 'w-1', method: 'POST', route: '/api/things', status: 201 })]);
  });

  it('keeps nothing that was answered while the version changed', async () => {
    const { app, calls, data } = service();
    data.changeWhileServing = true;
    await request(app).get('/api/things/1').expect(200);
    await request(app).get('/api/things/1').expect(200);
    await request(app).get('/api/things/1').expect(200);
    expect(calls.thing).toBe(2);
  });

  it('keeps only the URL it answered: another query string or path is another answer', async () => {
    const { app, calls } = service();
    await request(app).get('/api/things').expect(200);
    await request(app).get('/api/things?x=1').expect(200);
    await request(app).get('/API/things').expect(200);
    expect(calls.things).toBe(3);
  });

  it.each([
    ['a conditional request', { 'if-none-match': 'W/"other"' }],
    ['a request with If-Modified-Since', { 'if-modified-since': 'Mon, 07 Dec 2026 10:00:00 GMT' }],
    ['a consistency token', { [CONSISTENCY_TOKEN_HEADER]: 'any' }],
    ['a consistency token cookie', { cookie: `a=b; ${CONSISTENCY_TOKEN_COOKIE}=any` }],
    ['a commit position', { [COMMIT_LSN_HEADER]: '0/16B3748' }],
  ])('leaves %s to the normal path', async (_case, headers) => {
    const { app, calls } = service();
    await request(app).get('/api/things/1').expect(200);
    await request(app).get('/api/things/1').set(headers).expect(200);
    expect(calls.thing).toBe(2);
  });

  it('leaves a GET with a body to the normal path, which refuses a malformed one', async () => {
    const { app, calls } = service();
    await request(app).get('/api/things/1').expect(200);
    await request(app).get('/api/things/1').set('content-type', 'application/json').send('{"id":').expect(400);
    await request(app).get('/api/things/1').set('content-type', 'application/json').send('{}').expect(200);
    expect(calls.thing).toBe(2);
  });

  it('leaves HEAD to the normal path, and does not keep what it answered', async () => {
    const { app, calls } = service();
    await request(app).head('/api/things/1').expect(200);
    await request(app).head('/api/things/1').expect(200);
    await request(app).get('/api/things/1').expect(200);
    expect(calls.thing).toBe(3);
  });

  it('answers neither a route outside the lane, nor an answer that is not frozen, nor one with a header of its route', async () => {
    const { app, calls } = service();
    for (let i = 0; i < 2; i++) {
      await request(app).get('/api/other').expect(200);
      await request(app).get('/api/fresh').expect(200);
      await request(app).get('/api/headed').expect('cache-control', 'no-store').expect(200);
    }
    expect(calls).toMatchObject({ other: 2, fresh: 2, headed: 2 });
  });

  it('keeps no error: an unknown thing reaches its route every time', async () => {
    const { app, calls } = service();
    await request(app).get('/api/things/9').expect(404);
    await request(app).get('/api/things/9').expect(404);
    expect(calls.thing).toBe(2);
  });
});
