// Request framing at the edge, tested with raw sockets against a real proxy (real Unleash), and
// asserted on both sides: what the client is answered, and every byte the upstream received.
import { connect } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { StandIn } from '../../test-support/stand-in.js';
import { startProxyWorld, type ProxyWorld } from '../../test-support/proxy-fixture.js';

let world: ProxyWorld;
let monolith: StandIn;
let port: number;

beforeAll(async () => {
  world = await startProxyWorld();
  monolith = world.monolith;
  port = Number(new URL(world.proxy.url).port);
});

afterAll(async () => {
  await world?.close();
});

/** Bytes the monolith stand-in had received before the test. */
let rawBefore = 0;
beforeEach(() => {
  rawBefore = monolith.raw().length;
});
const upstreamGot = () => monolith.raw().slice(rawBefore);

interface Exchange {
  /** Everything the proxy answered. */
  text: string;
  /** Status codes of the responses, in order. */
  statuses: number[];
  /** Whether the proxy closed the connection (rather than the test giving up waiting). */
  closedByProxy: boolean;
}

/**
 * Writes `bytes` on one connection and reads until the proxy closes it, or until `responses`
 * complete responses have arrived and nothing more comes for a moment.
 */
function exchange(bytes: string, responses = 1): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(bytes, 'latin1'));
    let text = '';
    let idle: NodeJS.Timeout | undefined;
    // A response may follow the previous body directly, with no line break between them.
    const statuses = () => [...text.matchAll(/HTTP\/1\.1 (\d{3}) [A-Z]/g)].map((m) => Number(m[1]));
    const finish = (closedByProxy: boolean) => {
      clearTimeout(idle);
      clearTimeout(limit);
      socket.destroy();
      resolve({ text, statuses: statuses(), closedByProxy });
    };
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      text += chunk;
      clearTimeout(idle);
      if (statuses().length >= responses) idle = setTimeout(() => finish(false), 300);
    });
    socket.on('end', () => finish(true));
    socket.on('error', reject);
    const limit = setTimeout(() => finish(false), 8000);
  });
}

const HIDDEN = 'POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nab';

function withHiddenBody(head: string): string {
  return `${head}Content-Length: ${HIDDEN.length}\r\n\r\n${HIDDEN}`;
}

describe('a Connection header that names a framing or identity header', () => {
  it('the request of the report (GET, Connection: keep-alive, content-length, a request in its body) gets 400 and the upstream receives nothing of it', async () => {
    const answer = await exchange(withHiddenBody('GET /api/products?limit=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive, content-length\r\n'));

    expect(answer.statuses).toEqual([400]);
    expect(answer.text).toMatch(/"code":"connection_header_forbidden"/);
    expect(answer.text).toMatch(/\r\nx-served-by: strangler-proxy\r\n/);
    expect(answer.closedByProxy).toBe(true);
    expect(upstreamGot()).toBe('');
  });

  it.each([
    ['Content-Length in upper case', 'POST /api/products HTTP/1.1\r\nHost: x\r\nConnection: CONTENT-LENGTH\r\n'],
    ['spacing and several tokens', 'POST /api/products HTTP/1.1\r\nHost: x\r\nConnection:   keep-alive ,x-other,  Content-Length  \r\n'],
    ['Host', 'POST /api/products HTTP/1.1\r\nHost: x\r\nConnection: host\r\n'],
    ['Authorization', 'POST /api/products HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer a.b.c\r\nConnection: authorization\r\n'],
    ['X-Request-Id', 'POST /api/products HTTP/1.1\r\nHost: x\r\nConnection: x-request-id\r\n'],
    ['Cookie', 'POST /api/products HTTP/1.1\r\nHost: x\r\nConnection: cookie\r\n'],
    ['two Connection headers, the second naming Content-Length', 'POST /api/products HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\nConnection: content-length\r\n'],
  ])('naming %s: 400, connection closed, nothing forwarded', async (_case, head) => {
    const answer = await exchange(withHiddenBody(head));

    expect(answer.statuses).toEqual([400]);
    expect(answer.text).toMatch(/"code":"connection_header_forbidden"/);
    expect(answer.closedByProxy).toBe(true);
    expect(upstreamGot()).toBe('');
  });

  it('naming Transfer-Encoding on a chunked request: 400, nothing forwarded', async () => {
    const chunk = HIDDEN.length.toString(16);
    const answer = await exchange(`POST /api/products HTTP/1.1\r\nHost: x\r\nConnection: transfer-encoding\r\nTransfer-Encoding: chunked\r\n\r\n${chunk}\r\n${HIDDEN}\r\n0\r\n\r\n`);

    expect(answer.statuses).toEqual([400]);
    expect(upstreamGot()).toBe('');
  });

  it('naming any other header is honoured: that header is dropped and the request forwarded with exact framing', async () => {
    const body = '{"name":"x"}';
    const answer = await exchange(`POST /api/products HTTP/1.1\r\nHost: x\r\nConnection: x-hop\r\nX-Hop: secret\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`);

    expect(answer.statuses).toEqual([200]);
    const got = upstreamGot();
    expect(got).toMatch(/^POST \/api\/products HTTP\/1\.1\r\n/);
    expect(got.toLowerCase()).not.toContain('x-hop');
    expect(got).toMatch(new RegExp(`\\r\\ncontent-length: ${body.length}\\r\\n`, 'i'));
    expect(got.endsWith(`\r\n\r\n${body}`)).toBe(true);
  });
});

describe('framing the proxy refuses', () => {
  it.each([
    ['a body on GET', withHiddenBody('GET /api/products HTTP/1.1\r\nHost: x\r\n'), 'body_not_allowed'],
    ['a chunked body on GET', `GET /api/products HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n${HIDDEN.length.toString(16)}\r\n${HIDDEN}\r\n0\r\n\r\n`, 'body_not_allowed'],
    ['two Host headers', 'GET /api/products HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\n\r\n', 'duplicate_host'],
    ['Transfer-Encoding on HTTP/1.0', `POST /api/products HTTP/1.0\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n`, 'transfer_encoding_on_http10'],
  ])('%s: 400 naming the reason, connection closed, nothing forwarded', async (_case, bytes, code) => {
    const answer = await exchange(bytes);

    expect(answer.statuses).toEqual([400]);
    expect(answer.text).toContain(`"code":"${code}"`);
    expect(answer.closedByProxy).toBe(true);
    expect(upstreamGot()).toBe('');
  });

  it('a body on HEAD: 400 (a HEAD answer has no body to name the reason), connection closed, nothing forwarded', async () => {
    const answer = await exchange(withHiddenBody('HEAD /api/products HTTP/1.1\r\nHost: x\r\n'));

    expect(answer.statuses).toEqual([400]);
    expect(answer.text).toMatch(/\r\nx-served-by: strangler-proxy\r\n/);
    expect(answer.closedByProxy).toBe(true);
    expect(upstreamGot()).toBe('');
  });

  it.each([
    ['Content-Length and Transfer-Encoding together', 'POST /api/products HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'],
    ['two different Content-Lengths', 'POST /api/products HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nContent-Length: 40\r\n\r\nabcd'],
    ['a space before the colon', 'POST /api/products HTTP/1.1\r\nHost: x\r\nContent-Length : 4\r\n\r\nabcd'],
    ['a bare LF line ending in the headers', 'POST /api/products HTTP/1.1\r\nHost: x\nContent-Length: 4\r\n\r\nabcd'],
    ['an obsolete folded header line', 'POST /api/products HTTP/1.1\r\nHost: x\r\nX-Fold: a\r\n b\r\nContent-Length: 4\r\n\r\nabcd'],
    ['no Host on HTTP/1.1', 'GET /api/products HTTP/1.1\r\n\r\n'],
    ['a Transfer-Encoding other than chunked', 'POST /api/products HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n'],
    ['chunked twice', 'POST /api/products HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'],
  ])('%s: 400 from the parser, nothing forwarded', async (_case, bytes) => {
    const answer = await exchange(bytes);

    expect(answer.statuses).toEqual([400]);
    expect(upstreamGot()).toBe('');
  });

  it('a refused request ends its connection: a request pipelined after it is never served', async () => {
    const answer = await exchange(`${withHiddenBody('GET /api/products HTTP/1.1\r\nHost: x\r\n')}GET /api/categories HTTP/1.1\r\nHost: x\r\n\r\n`, 2);

    expect(answer.statuses).toEqual([400]);
    expect(answer.closedByProxy).toBe(true);
    expect(upstreamGot()).toBe('');
  });
});

describe('framing the upstream receives for well-formed requests', () => {
  it('a chunked body is forwarded with a Content-Length of exactly its bytes and no Transfer-Encoding', async () => {
    const answer = await exchange('POST /api/products HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n');

    expect(answer.statuses).toEqual([200]);
    const got = upstreamGot();
    expect(got).toMatch(/\r\ncontent-length: 11\r\n/i);
    expect(got.toLowerCase()).not.toContain('transfer-encoding');
    expect(got.endsWith('\r\n\r\nhello world')).toBe(true);
  });

  it('a GET with Content-Length: 0 is forwarded without any body framing', async () => {
    const answer = await exchange('GET /api/categories HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n');

    expect(answer.statuses).toEqual([200]);
    const got = upstreamGot();
    expect(got).toMatch(/^GET \/api\/categories HTTP\/1\.1\r\n/);
    expect(got.toLowerCase()).not.toMatch(/content-length|transfer-encoding/);
    expect(got.endsWith('\r\n\r\n')).toBe(true);
  });

  it('Expect: 100-continue is answered by the proxy and not passed on; the body arrives whole', async () => {
    const answer = await exchange('POST /api/products HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc', 2);

    expect(answer.statuses).toEqual([100, 200]);
    const got = upstreamGot();
    expect(got.toLowerCase()).not.toContain('expect:');
    expect(got.endsWith('\r\n\r\nabc')).toBe(true);
  });

  it('pipelined requests are answered in order, and the upstream receives exactly those requests (over pooled connections, in any order)', async () => {
    const answer = await exchange(
      'POST /api/products HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nabcd' + 'GET /api/categories HTTP/1.1\r\nHost: x\r\n\r\n' + 'GET /api/products/7 HTTP/1.1\r\nHost: x\r\n\r\n',
      3,
    );

    expect(answer.statuses).toEqual([200, 200, 200]);
    const requestLines = [...upstreamGot().matchAll(/(?:GET|POST) \/api\/\S+ HTTP\/1\.1(?=\r\n)/g)].map((m) => m[0]);
    expect(requestLines.sort()).toEqual(['GET /api/categories HTTP/1.1', 'GET /api/products/7 HTTP/1.1', 'POST /api/products HTTP/1.1']);
  });

  it('an HTTP/1.0 request with a Content-Length body is forwarded with that exact length', async () => {
    const answer = await exchange('POST /api/products HTTP/1.0\r\nHost: x\r\nContent-Length: 2\r\n\r\nok');

    expect(answer.statuses).toEqual([200]);
    expect(upstreamGot()).toMatch(/\r\ncontent-length: 2\r\n[\s\S]*\r\n\r\nok$/i);
  });
});
