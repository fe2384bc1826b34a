import { chaosTargets } from '../components.js';
import type { ChaosOptions, ChaosResult } from './chaos.js';
import { violations } from './chaos.js';

const seconds = (ms: number | null) => (ms === null ? 'did not' : `${(ms / 1000).toFixed(1)} s`);

/** The chaos report in Markdown (bench/results/chaos.md). */
export function chaosReport(result: ChaosResult, options: Pick<ChaosOptions, 'rounds' | 'pauseMs' | 'owned'>, machine: string): string {
  const problems = violations(result);
  const owned = options.owned === true;
  const downstream = owned ? 'the monolith' : 'the catalog service';
  const lines = [
    '# Chaos run',
    '',
    `Run ${result.startedAt} on ${machine}, ${(result.durationMs / 1000).toFixed(0)} s: ${options.rounds} SIGKILL(s) of each of ${chaosTargets().join(', ')}, one at a time, ${options.pauseMs / 1000} s apart, under a steady workload`,
    owned
      ? '(reads, product creations and price changes through the stable URL), the catalog domain at `owned`: its writes served by catalog-service and copied back to the monolith by the reverse sync.'
      : '(reads and product creations through the stable URL, writes to products and categories in the monolith\'s database), the catalog domain at `new`.',
    'Written by `npm run chaos` (stack/src/chaos/); see docs/adr/0024.',
    '',
    `**Verdict: ${problems.length === 0 ? 'every invariant held' : `FAILED: ${problems.join('; ')}`}**`,
    '',
    `| Kill | Component | Writes in flight | Back (supervisor restarted it) | A new write reached ${downstream} |`,
    '| ---: | --- | ---: | ---: | ---: |',
    ...result.kills.map((k, i) => `| ${i + 1} | ${k.component} | ${k.inFlight} | ${seconds(k.backMs)} | ${seconds(k.dataFlowingMs)} |`),
    '',
    owned
      ? 'Times are from the SIGKILL. "A new write reached the monolith": a product created through the stable URL (by catalog-service) once the component was back, seen in the monolith\'s database (the reverse sync\'s lag recovered).'
      : 'Times are from the SIGKILL. "A new write reached the catalog service": a product inserted in the monolith\'s database once the component was back, seen in the catalog service\'s database (the projection\'s lag recovered).',
    '',
    '| Invariant | Result | Target |',
    '| --- | ---: | ---: |',
    `| Safe requests (GET) through the stable URL | ${result.safeRequests} | |`,
    `| 5xx on safe routes | ${result.safe5xx} | 0 |`,
    `| Safe requests without an answer | ${result.safeUnanswered} | 0 |`,
    `| Unsafe requests (POST /api/products), by status | ${Object.entries(result.unsafeByStatus).map(([s, n]) => `${s}: ${n}`).join(', ')} | |`,
    `| Unsafe requests not applied exactly as answered (503 applied, 201 not once) | ${result.unsafeMisapplied.length} | 0 |`,
    `| Acknowledged inserts checked on both sides | ${result.acknowledgedInserts} | |`,
    `| Acknowledged updates (covered by the checksums) | ${result.acknowledgedUpdates} | |`,
    `| Lost writes | ${result.lostWrites.length} | 0 |`,
    `| Duplicated writes | ${result.duplicatedWrites} | 0 |`,
    `| Both sides equal (row counts and checksums of products and categories) | ${result.converged ? `yes, ${seconds(result.convergenceMs)} after the workload stopped` : 'no'} | yes |`,
    `| Components failed at the end | ${result.failedComponents.length} | 0 |`,
    '',
    `Products: ${result.digests.monolith.products.rows} rows on both sides; categories: ${result.digests.monolith.categories.rows}.`,
    '',
  ];
  return lines.join('\n');
}
