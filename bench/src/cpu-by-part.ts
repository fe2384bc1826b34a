import { readdirSync, readFileSync } from 'node:fs';

/** Which part of the stack a process is, from its command line. */
const PARTS: [string, string][] = [
  ['kafka.Kafka', 'kafka'],
  ['ConnectDistributed', 'kafka-connect'],
  ['legacy-monolith/dist/server.js', 'legacy-monolith'],
  ['unleash-server/main.js', 'unleash'],
  ['strangler-proxy/dist/server.js', 'strangler-proxy'],
  ['catalog-service/dist/server.js', 'catalog-service'],
  ['reverse-sync/main.js', 'catalog-reverse-sync'],
  ['postgres', 'postgres'],
  ['stack/dist/cli.js', 'stack up (migrations, seed, connector bootstrap, checks)'],
];

/**
 * A PostgreSQL process by what it serves, from its title (`postgres: <user> <database> ...`,
 * `postgres: walsender <user> <database> ...`): the backends of each database, the WAL senders (the
 * connectors' logical decoding), and the server's own processes.
 */
function postgresPart(cmdline: string): string {
  // A client's backend ends its title with the client's address: `... 127.0.0.1(54864) idle`.
  const title = /^postgres: (\S+) (\S+) .*(?:\d+\.\d+\.\d+\.\d+\(\d+\)|\[local\])/.exec(cmdline);
  if (!title) return 'postgres (server)';
  return title[1] === 'walsender' ? 'postgres (WAL senders)' : `postgres (${title[2]})`;
}

/**
 * User + system CPU seconds of a process and each of its descendants (Linux /proc), each labelled with
 * its part of the stack:
 * - `ended` (default true): with the descendants already ended and waited for (cutime, cstime), counted
 *   in their parent: right for a whole start; for a window of a running stack, count live processes only;
 * - `byDatabase`: the PostgreSQL backends labelled per database (and the WAL senders apart) instead of as one part.
 */
export function cpuByProcess(root: number, options: { byDatabase?: boolean; ended?: boolean } = {}): Map<number, { part: string; seconds: number }> {
  const fieldsCounted = options.ended === false ? [11, 12] : [11, 12, 13, 14];
  const stats = new Map<number, { ppid: number; ticks: number; part: string; cmdline: string }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ');
      const part = PARTS.find(([needle]) => cmdline.includes(needle))?.[1] ?? 'other';
      // After the command: state, ppid, ... utime (14th field overall), stime, cutime, cstime.
      stats.set(Number(entry), { ppid: Number(fields[1]), ticks: fieldsCounted.reduce((sum, i) => sum + Number(fields[i]), 0), part, cmdline });
    } catch {
      // ended while we looked
    }
  }
  const processes = new Map<number, { part: string; seconds: number }>();
  const visit = (pid: number, inherited?: string) => {
    const s = stats.get(pid);
    if (!s) return;
    // A PostgreSQL backend counts as PostgreSQL whatever its title says.
    const part = inherited === 'postgres' ? 'postgres' : s.part;
    processes.set(pid, { part: part === 'postgres' && options.byDatabase ? postgresPart(s.cmdline) : part, seconds: s.ticks / 100 });
    for (const [child, c] of stats) if (c.ppid === pid) visit(child, part);
  };
  visit(root);
  return processes;
}

/** `cpuByProcess` summed by part. */
export function cpuByPart(root: number, options: { byDatabase?: boolean; ended?: boolean } = {}): Record<string, number> {
  const byPart: Record<string, number> = {};
  for (const { part, seconds } of cpuByProcess(root, options).values()) byPart[part] = (byPart[part] ?? 0) + seconds;
  return Object.fromEntries(Object.entries(byPart).map(([k, v]) => [k, Number(v.toFixed(1))]));
}

/** The pid of the running `npm start` (`stack up`), or undefined when there is none on this machine. */
export function stackUpPid(): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (cmdline.some((arg) => arg.endsWith('stack/dist/cli.js')) && cmdline.includes('up')) return Number(entry);
    } catch {
      // ended while we looked
    }
  }
  return undefined;
}

/**
 * CPU used by each part between two `cpuByProcess` snapshots, as a share of one core over `seconds`
 * (%): process by process (one started in between counts from zero; one ended in between is left out,
 * never subtracted), then summed by part.
 */
export function cpuShare(before: Map<number, { part: string; seconds: number }>, after: Map<number, { part: string; seconds: number }>, seconds: number): Record<string, number> {
  const used: Record<string, number> = {};
  for (const [pid, { part, seconds: s }] of after) used[part] = (used[part] ?? 0) + Math.max(0, s - (before.get(pid)?.seconds ?? 0));
  return Object.fromEntries(
    Object.entries(used)
      .map(([part, s]) => [part, Math.round((s / seconds) * 100)] as const)
      .filter(([, share]) => share > 0)
      .sort((a, b) => b[1] - a[1]),
  );
}
