// The floor of bench:service: a bare node:http server (the platform's server options, nothing else)
// that answers each benchmarked path with fixed bytes, the monolith's answer to it, read once from
// BENCH_BARE_BODIES (a JSON object: path -> body). What any Node server gets on this machine under
// the same wrk script; a service's latency cannot go below it. Prints its URL when it listens.
import { readFileSync } from 'node:fs';
import { serve } from '@strangler/platform';

const file = process.env.BENCH_BARE_BODIES;
if (!file) throw new Error('BENCH_BARE_BODIES names no file of bodies');
const bodies = new Map(Object.entries(JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>).map(([path, body]) => [path, Buffer.from(body, 'utf8')]));
bodies.set('/healthz', Buffer.from('{"status":"ok"}'));
const { url } = await serve(
  (req, res) => {
    const body = bodies.get(req.url ?? '');
    res.statusCode = body ? 200 : 404;
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    res.setHeader('Content-Length', body?.length ?? 0);
    res.end(body);
  },
  { port: Number(process.env.PORT), host: process.env.HOST ?? '127.0.0.1' },
);
process.stdout.write(`${url}\n`);
