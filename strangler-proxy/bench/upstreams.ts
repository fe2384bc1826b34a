// Benchmark upstreams: the "monolith" and the "extracted service", both plain Node HTTP servers
// answering every request with the same 1 KB JSON body, so that only the proxy's cost differs.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

const BODY = Buffer.from(
  JSON.stringify({ items: Array.from({ length: 14 }, (_, i) => ({ id: i + 1, name: `product-${i + 1}`, price: 1999 })) }).padEnd(1024, ' '),
);

// The service's answer on the shadow route says the same in other bytes (keys in another order), as
// two implementations usually do: every comparison is then parsed and diffed, not settled by its bytes.
const REORDERED = Buffer.from(
  JSON.stringify({ items: Array.from({ length: 14 }, (_, i) => ({ price: 1999, name: `product-${i + 1}`, id: i + 1 })) }).padEnd(1024, ' '),
);

function serve(name: string): Promise<number> {
  const server = http.createServer((req, res) => {
    req.resume();
    if (req.url === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
      return;
    }
    const body = name === 'bench-service' && req.url === '/bench/shadow' ? REORDERED : BODY;
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length, 'x-upstream': name });
    res.end(body);
  });
  server.keepAliveTimeout = 65_000;
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

const [monolith, service] = await Promise.all([serve('legacy-monolith'), serve('bench-service')]);
process.stdout.write(`${JSON.stringify({ monolith, service })}\n`);
