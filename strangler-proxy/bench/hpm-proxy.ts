// The limit of a proxy that forwards through http-proxy-middleware (the issue keeps it): the library
// alone, configured as the proxy's forwarder configures it (a router, a keep-alive agent with lifo
// scheduling, the response handled by the caller), with no routing, flags, breakers or edge checks.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createProxyMiddleware } from 'http-proxy-middleware';

const [upstreamPort] = process.argv.slice(2);
const agent = new http.Agent({ keepAlive: true, maxSockets: 64, maxFreeSockets: 64, scheduling: 'lifo', timeout: 10_000 });
const target = new URL(`http://127.0.0.1:${upstreamPort}`);
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding']);
const middleware = createProxyMiddleware<http.IncomingMessage, http.ServerResponse>({
  router: () => target,
  agent,
  selfHandleResponse: true,
  xfwd: false,
  changeOrigin: false,
  ejectPlugins: true,
  logger: { info: () => {}, warn: () => {}, error: () => {} },
  plugins: [
    (server) => {
      server.on('proxyRes', (answer, _req, res) => {
        for (const name in answer.headers) if (!HOP_BY_HOP.has(name)) res.setHeader(name, answer.headers[name]!);
        res.writeHead(answer.statusCode ?? 502, answer.statusMessage);
        answer.pipe(res);
      });
      server.on('error', (_err, _req, res) => (res as http.ServerResponse).destroy());
    },
  ],
});
const server = http.createServer((req, res) => void middleware(req, res, () => res.destroy()));
server.listen(0, '127.0.0.1', () => process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, pid: process.pid })}\n`));
