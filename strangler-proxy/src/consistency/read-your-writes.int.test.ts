import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger } from '@strangler/platform';
import { Registry } from 'prom-client';
// A stand-in service on a loopback port: the proxy's real long poll, without Kafka behind it.
import { afterEach, describe, expect, it } from 'vitest';
import { COMMIT_LSN_HEADER, ReadYourWrites, TOKEN_COOKIE, TOKEN_HEADER } from './read-your-writes.js';
import { TokenSigner } from './token.js';
import { WatermarkWatch } from './watermark-watch.js';

const signer = new TokenSigner('a-secret-of-at-least-thirty-two-characters');
const logger = createLogger('ryw-test', 'silent');
let server: Server | undefined;

afterEach(async () => {
  await new Promise<void>((done) => (server ? server.close(() => done()) : done()));
  server = undefined;
});

/** A stand-in for a service's `GET /cdc/watermark`: answers with `watermark.lsn` at once, recording each request. */
async function serviceAt(watermark: { lsn: string }) {
  const requests: string[] = [];
  server = createServer((req, res) => {
    requests.push(req.url ?? '');
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ watermark: { lsn: watermark.lsn, lagMs: 120, committedAt: new Date().toISOString() } }));
  });
  await new Promise<void>((done) => server!.listen(0, '127.0.0.1', () => done()));
  return { url: new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`), requests };
}

function ryw(instance: () => URL | undefined, waitMs = 300) {
  const registry = new Registry();
  const watch = new WatermarkWatch('catalog-service', instance, logger);
  const consistency = new ReadYourWrites({ signer, monolith: 'legacy-monolith', services: new Map([['catalog-service', { watch, waitMs }]]), registry, logger });
  return { consistency, watch, registry };
}

const token = (lsn: bigint) => ({ system: 'legacy-monolith', lsn });

describe('read-your-writes', () => {
  it('serves a read without a token from the new service without asking it anything', async () => {
    const { url, requests } = await serviceAt({ lsn: '0/10' });
    expect(await ryw(() => url).consistency.sideFor('catalog-service', undefined)).toBe('new');
    expect(requests).toEqual([]);
  });

  it('serves a read from the new service once its watermark reaches the token, and asks no more once it knows', async () => {
    const { url, requests } = await serviceAt({ lsn: '0/200' });
    const { consistency } = ryw(() => url);

    expect(await consistency.sideFor('catalog-service', token(0x100n))).toBe('new');
    expect(await consistency.sideFor('catalog-service', token(0x180n))).toBe('new');
    expect(requests).toHaveLength(1);
  });

  it('serves from the monolith when the watermark does not reach the token in time', async () => {
    const { url } = await serviceAt({ lsn: '0/10' });
    const { consistency, registry } = ryw(() => url, 150);

    expect(await consistency.sideFor('catalog-service', token(0x100n))).toBe('legacy');
    expect(await registry.getSingleMetricAsString('strangler_ryw_reads_total')).toMatch(/outcome="fell_back"} 1/);
  });

  it('falls back at once when the service cannot be asked', async () => {
    // A wait of a minute: the test would time out if the read waited rather than fell back.
    const { consistency } = ryw(() => undefined, 60_000);
    expect(await consistency.sideFor('catalog-service', token(0x100n))).toBe('legacy');
  });

  it('takes the client’s token off the request, header and cookie, so no upstream sees it', () => {
    const { consistency } = ryw(() => undefined);
    const issued = signer.issue(token(0x42n));
    const req = { headers: { [TOKEN_HEADER]: 'forged', cookie: `strangler_sid=abc; ${TOKEN_COOKIE}=${issued}; theme=dark`, [COMMIT_LSN_HEADER]: '0/1' } } as unknown as IncomingMessage;

    expect(consistency.takeToken(req)).toEqual(token(0x42n));
    expect(req.headers).toEqual({ cookie: 'strangler_sid=abc; theme=dark' });
  });

  it('turns the monolith’s commit position into a token for the client, and drops the internal header', async () => {
    const { consistency } = ryw(() => undefined);
    server = createServer((_req: IncomingMessage, res: ServerResponse) => {
      consistency.issueOnWrite(res);
      res.setHeader('x-served-by', 'legacy-monolith');
      res.setHeader(COMMIT_LSN_HEADER, '16/B374D848');
      res.setHeader('set-cookie', 'strangler_sid=abc; Path=/');
      res.end('{}');
    });
    await new Promise<void>((done) => server!.listen(0, '127.0.0.1', () => done()));
    const answer = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`, { method: 'POST' });

    expect(answer.headers.get(COMMIT_LSN_HEADER)).toBeNull();
    expect(signer.verify(answer.headers.get(TOKEN_HEADER) ?? '')).toEqual(token(0x16b374d848n));
    expect(answer.headers.getSetCookie()).toEqual(['strangler_sid=abc; Path=/', `${TOKEN_COOKIE}=${answer.headers.get(TOKEN_HEADER)}; Path=/; HttpOnly; SameSite=Lax; Max-Age=3600`]);
  });
});
