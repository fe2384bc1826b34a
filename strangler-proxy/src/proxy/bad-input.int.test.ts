import http from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestRaw } from '../../test-support/http-request.js';
import type { StandIn } from '../../test-support/stand-in.js';
import { startProxyWorld, type ProxyWorld } from '../../test-support/proxy-fixture.js';
import type { UnleashFlagReader } from '../flags/unleash-flag-reader.js';
import type { RunningProxy } from '../runtime.js';

let monolith: StandIn;
let catalog: StandIn;
let proxy: RunningProxy;
let port: number;

const request = (path: string, options: Parameters<typeof requestRaw>[2] = {}) => requestRaw(port, path, options);

/** Sends raw bytes and returns the first status line the proxy answers. */
function raw(text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(text));
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.on('end', () => resolve(answer));
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
    socket.setTimeout(5000, () => socket.destroy());
  });
}

const served = (standIn: StandIn) => standIn.received.filter((r) => r.url !== '/healthz').length;
const lastSeenBy = (standIn: StandIn) => standIn.received.filter((r) => r.url !== '/healthz').at(-1);

let world: ProxyWorld;
beforeAll(async () => {
  world = await startProxyWorld({ MAX_BODY_BYTES: String(64 * 1024), MAX_HEADER_BYTES: String(8 * 1024) });
  ({ monolith, catalog, proxy } = world);
  port = Number(new URL(proxy.url).port);
  await world.admin.setStage('strangler.catalog', 'owned', 100);
  await (proxy.flags as UnleashFlagReader).refreshUntil('strangler.catalog', 'owned', 100);
});

afterAll(async () => {
  await world?.close();
});

describe('paths are normalised before matching and forwarded normalised', () => {
  it.each([
    '/api/products/1',
    '/api/orders/%2e%2e/products/1',
    '/api/orders/%2E%2E/products/1',
    '/api//products/1',
    '/API/Products/1',
    '/api/./products/1/',
    '/api/%70roducts/1',
  ])('%s reaches the catalog service as /api/products/1 (or its case)', async (path) => {
    const res = await request(path);
    expect(res.status).toBe(200);
    expect(res.headers['x-served-by']).toBe('catalog-service');
    expect(lastSeenBy(catalog)?.url.toLowerCase()).toBe('/api/products/1');
  });

  it.each([
    ['an encoded slash', '/api/products%2f1'],
    ['an encoded backslash', '/api/products%5c..%5c1'],
    ['a climb above the root', '/../api/products/1'],
    ['an encoded climb above the root', '/%2e%2e/%2e%2e/etc/passwd'],
    ['a trailing dot', '/api/products/1.'],
    ['a malformed escape', '/api/products/%zz'],
  ])('%s is rejected with 400 and reaches no upstream', async (_label, path) => {
    const before = served(monolith) + served(catalog);
    const res = await request(path);
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'invalid_path' } });
    expect(res.headers['x-request-id']).toBeDefined();
    expect(served(monolith) + served(catalog)).toBe(before);
  });
});

describe('request smuggling attempts', () => {
  it('a request with both Content-Length and Transfer-Encoding is rejected with 400', async () => {
    const answer = await raw('POST /api/products HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /api/admin HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(answer).toMatch(/\r\nx-served-by: strangler-proxy\r\n/);
    expect(answer).toMatch(/\r\nx-request-id: [0-9a-f-]{36}\r\n/);
    expect(answer).not.toMatch(/HTTP\/1\.1 200/);
  });

  it('a request with two Content-Length headers is rejected with 400', async () => {
    const answer = await raw('POST /api/products HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nContent-Length: 30\r\n\r\nabcd');
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
  });

  it('a Transfer-Encoding other than chunked is rejected with 400', async () => {
    const answer = await raw('POST /api/products HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
  });
});

describe('headers', () => {
  it('replaces client-sent X-Forwarded-* and Forwarded instead of passing them on', async () => {
    await request('/api/products/2', { headers: { 'x-forwarded-for': '6.6.6.6', 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https', forwarded: 'for=6.6.6.6', 'x-real-ip': '6.6.6.6' } });
    const seen = lastSeenBy(catalog)!.headers;
    expect(seen['x-forwarded-for']).toBe('127.0.0.1');
    expect(seen['x-forwarded-proto']).toBe('http');
    expect(seen['x-forwarded-host']).not.toBe('evil.example');
    expect(seen.forwarded).toBeUndefined();
    expect(seen['x-real-ip']).toBeUndefined();
  });

  it('drops hop-by-hop headers, including those named in Connection', async () => {
    await request('/api/products/3', { headers: { connection: 'keep-alive, x-hop-secret', 'x-hop-secret': '1', 'proxy-authorization': 'Basic eDp5', te: 'trailers', 'keep-alive': 'timeout=5' } });
    const seen = lastSeenBy(catalog)!.headers;
    expect(seen['x-hop-secret']).toBeUndefined();
    expect(seen['proxy-authorization']).toBeUndefined();
    expect(seen.te).toBeUndefined();
    expect(seen['keep-alive']).toBeUndefined();
  });

  it('forwards x-request-id and the trace of traceparent, and echoes the request id', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const res = await request('/api/products/4', { headers: { 'x-request-id': 'req-abc-123', traceparent: `00-${traceId}-00f067aa0ba902b7-01` } });
    expect(res.headers['x-request-id']).toBe('req-abc-123');
    const seen = lastSeenBy(catalog)!.headers;
    expect(seen['x-request-id']).toBe('req-abc-123');
    expect(seen.traceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
  });

  it('creates an x-request-id when the client sends none and forwards it', async () => {
    const res = await request('/api/categories');
    expect(res.headers['x-request-id']).toMatch(/.+/);
    expect(lastSeenBy(monolith)!.headers['x-request-id']).toBe(res.headers['x-request-id']);
  });

  it('answers oversized headers with 431', async () => {
    const res = await request('/api/categories', { headers: { 'x-big': 'a'.repeat(10 * 1024) } });
    expect(res.status).toBe(431);
    expect(res.headers['x-request-id']).toBeDefined();
    expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'headers_too_large' } });
  });
});

describe('bodies', () => {
  it('streams a body within the limit to the upstream', async () => {
    const res = await request('/api/products', { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: Buffer.alloc(60 * 1024, 1) });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ servedBy: 'catalog-service', bodyLength: 60 * 1024 });
  });

  it('answers a Content-Length above the limit with 413 before reading it', async () => {
    const res = await request('/api/products', { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: Buffer.alloc(100 * 1024, 1) });
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'payload_too_large' } });
  });

  it('answers a chunked body that grows past the limit with 413', async () => {
    const res = await new Promise<number>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, path: '/api/categories', method: 'POST', headers: { 'transfer-encoding': 'chunked' }, agent: false }, (r) => {
        r.resume();
        resolve(r.statusCode ?? 0);
      });
      req.on('error', reject);
      const chunk = Buffer.alloc(16 * 1024, 1);
      let sent = 0;
      const pump = () => {
        while (sent < 10) {
          sent++;
          if (!req.write(chunk)) {
            req.once('drain', pump);
            return;
          }
        }
        req.end();
      };
      pump();
    });
    expect(res).toBe(413);
  });
});
