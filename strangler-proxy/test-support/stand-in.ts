// Small Express services started by the tests: a stand-in for the monolith and one for an
// extracted service. Each answers with its own name so a test sees who served a request.
import http, { type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import express from 'express';

export interface StandIn {
  name: string;
  url: string;
  port: number;
  /**
   * Every byte the stand-in received on its connections, except those of the proxy's health checks:
   * what the upstream actually got, framing included, so a smuggled request cannot hide in a body.
   */
  raw(): string;
  /** Requests received, newest last: method, url and headers. */
  received: { method: string; url: string; headers: http.IncomingHttpHeaders; body: string }[];
  /** Make every answer a 500 (true) or normal again (false). */
  failing: boolean;
  /** Delay every answer but the health check by this many milliseconds. */
  delayMs: number;
  close(): Promise<void>;
  /** Closes the listener and every open connection at once, like a crashed process. */
  kill(): Promise<void>;
}

/** 1 KB of JSON, the body used by the benchmark for every side. */
export const ONE_KB_JSON = JSON.stringify({ items: Array.from({ length: 14 }, (_, i) => ({ id: i + 1, name: `product-${i + 1}`, price: 1999 })) }).padEnd(1024, ' ');

export async function startStandIn(name: string, port = 0): Promise<StandIn> {
  const app = express();
  const rawBySocket = new Map<Socket, Buffer[]>();
  const state: StandIn = {
    name,
    url: '',
    port: 0,
    raw: () =>
      [...rawBySocket.values()]
        .map((chunks) => Buffer.concat(chunks).toString('latin1'))
        .filter((text) => !text.startsWith('GET /healthz ') && !text.startsWith('GET /readyz '))
        .join(''),
    received: [],
    failing: false,
    delayMs: 0,
    close: async () => {},
    kill: async () => {},
  };
  app.use(express.raw({ type: () => true, limit: '20mb' }));
  app.use(async (req, res, next) => {
    if (state.delayMs > 0 && req.path !== '/healthz') await new Promise((r) => setTimeout(r, state.delayMs));
    state.received.push({ method: req.method, url: req.originalUrl, headers: req.headers, body: Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '' });
    if (state.received.length > 10_000) state.received.shift();
    if (state.failing && req.path !== '/healthz') {
      res.status(500).json({ error: { code: 'internal_error', message: `${name} failing`, correlationId: 'none' } });
      return;
    }
    next();
  });
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/bench', (_req, res) => {
    res.type('application/json').send(ONE_KB_JSON);
  });
  app.get('/api/slow', async (req, res) => {
    await new Promise((r) => setTimeout(r, Number(req.query.ms ?? 2000)));
    res.json({ servedBy: name });
  });
  app.all('/{*path}', (req, res) => {
    res.setHeader('x-seen-by', name);
    res.json({ servedBy: name, method: req.method, path: req.path, query: req.query, bodyLength: Buffer.isBuffer(req.body) ? req.body.length : 0 });
  });
  const server: Server = http.createServer(app);
  const sockets = new Set<Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    const chunks: Buffer[] = [];
    rawBySocket.set(s, chunks);
    s.on('data', (chunk: Buffer) => chunks.push(chunk));
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  state.port = (server.address() as AddressInfo).port;
  state.url = `http://127.0.0.1:${state.port}`;
  state.close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  state.kill = async () => {
    for (const s of sockets) s.destroy();
    await state.close();
  };
  return state;
}
