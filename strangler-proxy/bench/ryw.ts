// npm run bench:ryw — read-your-writes through the stable URL (ADR-0021), against a running
// `npm start`: catalog is moved to stage `new`, then N pairs of "rename a product through the proxy
// (the monolith writes), read it back at once through the proxy with the consistency token" run one
// after the other. Reports stale reads (goal: 0), the latency the token adds to a read (each read
// with a token against a read of the same product without one, right after), and the share of
// reads the monolith served because the service's watermark did not reach the token in time.
// Catalog is put back to the stage it had. Results: bench/results/ryw.json and ryw.md.
// Options: BENCH_PAIRS (default 500), STRANGLER_URL, STRANGLER_ADMIN_URL, STRANGLER_ADMIN_TOKEN
// (default: adminToken in .stack/secrets.json).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '../../..');
const PAIRS = Number(process.env.BENCH_PAIRS ?? 500);
const STABLE = process.env.STRANGLER_URL ?? 'http://127.0.0.1:8080';
const ADMIN = process.env.STRANGLER_ADMIN_URL ?? 'http://127.0.0.1:8081';
const ADMIN_TOKEN = process.env.STRANGLER_ADMIN_TOKEN ?? (JSON.parse(readFileSync(resolve(ROOT, '.stack/secrets.json'), 'utf8')) as { adminToken: string }).adminToken;
const log = (line: string) => console.log(`[bench:ryw] ${line}`);

async function admin(path: string, body?: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${ADMIN}/api${path}`, {
    method: body ? 'POST' : 'GET',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: body ? JSON.stringify(body) : undefined,
  });
  const answer = (await res.json()) as Record<string, unknown>;
  if (!res.ok) throw new Error(`${path}: ${res.status} ${JSON.stringify(answer)}`);
  return answer;
}

async function catalogStage(): Promise<{ stage: string; percentage: number }> {
  const { domains } = (await admin('/domains')) as { domains: { domain: string; stage: string; percentage: number }[] };
  return domains.find((d) => d.domain === 'catalog')!;
}

const percentile = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]! : NaN);
const round = (x: number) => Math.round(x * 10) / 10;

async function timed(url: string, headers: Record<string, string> = {}): Promise<{ ms: number; servedBy: string; name: string }> {
  const started = performance.now();
  const res = await fetch(url, { headers });
  const body = (await res.json()) as { name: string };
  return { ms: performance.now() - started, servedBy: res.headers.get('x-served-by') ?? '', name: body.name };
}

async function main(): Promise<void> {
  const login = await fetch(`${STABLE}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'admin@example.com', password: 'admin-demo-password' }) });
  const { accessToken } = (await login.json()) as { accessToken: string };
  const before = await catalogStage();
  log(`catalog is at ${before.stage} ${before.percentage}%; moving it to new`);
  const path = ['legacy', 'shadow', 'canary', 'new'];
  for (const stage of path.slice(path.indexOf(before.stage) + 1)) {
    await admin('/domains/catalog/flip', { stage, ...(stage === 'canary' ? { percentage: 100 } : {}), reason: 'bench:ryw' });
  }
  const { items } = (await (await fetch(`${STABLE}/api/products?limit=50&sort=name`)).json()) as { items: { id: string; name: string }[] };

  let stale = 0;
  let fellBack = 0;
  const withToken: number[] = [];
  const withoutToken: number[] = [];
  try {
    for (let i = 0; i < PAIRS; i++) {
      const product = items[i % items.length]!;
      const name = `${product.name.replace(/ \[ryw \d+\]$/, '')} [ryw ${i}]`;
      const write = await fetch(`${STABLE}/api/products/${product.id}`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name }),
      });
      await write.arrayBuffer();
      const token = write.headers.get('strangler-consistency-token');
      if (!write.ok || !token) throw new Error(`write ${i}: ${write.status}, token ${token}`);
      const read = await timed(`${STABLE}/api/products/${product.id}`, { 'strangler-consistency-token': token });
      const plain = await timed(`${STABLE}/api/products/${product.id}`);
      withToken.push(read.ms);
      withoutToken.push(plain.ms);
      if (read.name !== name) stale++;
      if (read.servedBy !== 'catalog-service') fellBack++;
    }
  } finally {
    // Back to where catalog was: going back is always allowed.
    await admin('/domains/catalog/flip', { stage: before.stage, ...(before.stage === 'canary' ? { percentage: before.percentage } : {}), reason: 'bench:ryw done' });
  }
  const added = withToken.map((ms, i) => ms - withoutToken[i]!).sort((a, b) => a - b);
  const result = {
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, node: process.version },
    pairs: PAIRS,
    staleReads: stale,
    fellBackShare: round((fellBack / PAIRS) * 100),
    readWithTokenMs: { p50: round(percentile([...withToken].sort((a, b) => a - b), 50)), p99: round(percentile([...withToken].sort((a, b) => a - b), 99)) },
    readWithoutTokenMs: { p50: round(percentile([...withoutToken].sort((a, b) => a - b), 50)), p99: round(percentile([...withoutToken].sort((a, b) => a - b), 99)) },
    addedMs: { p50: round(percentile(added, 50)), p99: round(percentile(added, 99)) },
  };
  log(JSON.stringify(result));
  mkdirSync(resolve(ROOT, 'bench/results'), { recursive: true });
  writeFileSync(resolve(ROOT, 'bench/results/ryw.json'), `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(
    resolve(ROOT, 'bench/results/ryw.md'),
    [
      '# Read-your-writes through the stable URL',
      '',
      `Run \`npm run bench:ryw\` against \`npm start\` (${result.date}, ${result.machine.cpus} cores ${result.machine.cpuModel ?? ''}, Node ${result.machine.node}), catalog at \`new\`.`,
      `${PAIRS} pairs, one after the other: rename a product through the proxy, read it back at once with the consistency token.`,
      '',
      '| stale reads | served by the monolith (fell back) | read with token p50 / p99 ms | same read without token p50 / p99 ms | added by the token p50 / p99 ms |',
      '|---:|---:|---:|---:|---:|',
      `| ${stale} | ${result.fellBackShare} % | ${result.readWithTokenMs.p50} / ${result.readWithTokenMs.p99} | ${result.readWithoutTokenMs.p50} / ${result.readWithoutTokenMs.p99} | ${result.addedMs.p50} / ${result.addedMs.p99} |`,
      '',
      'Added = each read with the token minus the read of the same product without a token right after it.',
      '',
    ].join('\n'),
  );
}

await main();
