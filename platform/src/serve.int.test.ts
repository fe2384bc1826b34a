import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ListenError, serve, SERVICE_TIMEOUTS } from './serve.js';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((done) => s.close(done))));
});

describe('serve', () => {
  it('resolves once listening, with the URL and the service timeouts set', async () => {
    const { server, url } = await serve((_req, res) => res.end('ok'), { port: 0, host: '127.0.0.1' });
    servers.push(server);

    expect(await (await fetch(url)).text()).toBe('ok');
    expect({ keepAliveTimeout: server.keepAliveTimeout, headersTimeout: server.headersTimeout, requestTimeout: server.requestTimeout }).toEqual(SERVICE_TIMEOUTS);
  });

  it('rejects when the port is taken, naming the address and the setting, instead of pretending to listen', async () => {
    const taken = createServer();
    servers.push(taken);
    await new Promise<void>((done) => taken.listen(0, '127.0.0.1', done));
    const port = (taken.address() as AddressInfo).port;

    const failure = serve(() => {}, { port, host: '127.0.0.1', portSetting: 'CATALOG_SERVICE_PORT' });

    await expect(failure).rejects.toBeInstanceOf(ListenError);
    await expect(failure).rejects.toThrow(`127.0.0.1:${port} is already in use by another process: stop it, or set CATALOG_SERVICE_PORT to a free port`);
  });

  it('rejects a host that is not an address of this machine', async () => {
    await expect(serve(() => {}, { port: 0, host: '192.0.2.1' })).rejects.toThrow('192.0.2.1 is not an address of this machine (HOST)');
  });
});
