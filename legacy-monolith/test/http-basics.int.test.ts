import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestMonolith, type TestMonolith } from '../../test-support/monolith.js';

describe('the monolith over HTTP', () => {
  let t: TestMonolith;
  beforeAll(async () => {
    t = await startTestMonolith();
  });
  afterAll(async () => {
    await t.close();
  });

  it('reports alive on /healthz and ready on /readyz when the database answers', async () => {
    await request(t.app).get('/healthz').expect(200, { status: 'ok' });
    const ready = await request(t.app).get('/readyz').expect(200);
    expect(ready.body).toEqual({ status: 'ready', checks: { database: 'ok' } });
  });

  it('exposes Prometheus metrics including request durations', async () => {
    await request(t.app).get('/healthz');
    const res = await request(t.app).get('/metrics').expect(200);
    expect(res.text).toContain('http_server_request_duration_seconds_bucket');
    expect(res.text).toContain('service="legacy-monolith"');
  });

  it('answers an unknown route with a JSON 404 carrying the correlation id', async () => {
    const res = await request(t.app).get('/api/nope').set('x-request-id', 'req-123').expect(404);
    expect(res.headers['x-request-id']).toBe('req-123');
    expect(res.body).toEqual({ error: { code: 'route_not_found', message: 'No route for GET /api/nope', correlationId: 'req-123' } });
  });

  it('rejects malformed JSON with 400 malformed_json', async () => {
    const res = await request(t.app).post('/api/anything').set('content-type', 'application/json').send('{"a":').expect(400);
    expect(res.body.error.code).toBe('malformed_json');
  });

  it('rejects a body over the limit with 413', async () => {
    const res = await request(t.app)
      .post('/api/anything')
      .set('content-type', 'application/json')
      .send(JSON.stringify({ blob: 'x'.repeat(200 * 1024) }))
      .expect(413);
    expect(res.body.error.code).toBe('payload_too_large');
  });

  it('continues an incoming W3C trace and starts one when none is given', async () => {
    const incoming = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const continued = await request(t.app).get('/healthz').set('traceparent', incoming);
    expect(continued.headers.traceparent).toMatch(/^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01$/);
    const fresh = await request(t.app).get('/healthz');
    expect(fresh.headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(fresh.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});
