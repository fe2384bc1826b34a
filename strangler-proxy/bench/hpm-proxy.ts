// The limit of a proxy that forwards through http-proxy-middleware (the issue keeps it): the library
// alone, configured as the proxy's forwarder configures it (a router, a keep-alive agent with lifo
// scheduling, the response handled by the caller), with no routing, flags, breakers or edge checks.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { upstreamAgentOptions, LIBRARY_SETTINGS } from '@strangler/strangler-proxy/proxy/forwarder.js';
import { copyResponseHeaders } from '@strangler/strangler-proxy/proxy/headers.js';
import { createProxyMiddleware } from 'http-proxy-middleware';

const [upstreamPort] = process.argv.slice(2);
const agent = new http.Agent(upstreamAgentOptions(64, 10_000));
const target = new URL(`http://127.0.0.1:${upstreamPort}`);
const middleware = createProxyMiddleware<http.IncomingMessage, http.ServerResponse>({
  router: () => target,
  agent,
  ...LIBRARY_SETTINGS,
  plugins: [
    (server) => {
      server.on('proxyRes', (answer, _req, res) => {
        copyResponseHeaders(answer.headers, res);
        res.writeHead(answer.statusCode ?? 502, answer.statusMessage);
        answer.pipe(res);
      });
      server.on('error', (_err, _req, res) => (res as http.ServerResponse).destroy());
    },
  ],
});
const server = http.createServer((req, res) => void middleware(req, res, () => res.destroy()));
server.listen(0, '127.0.0.1', () => process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, pid: process.pid })}\n`));
