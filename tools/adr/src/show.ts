import Table from 'cli-table3';
import { relative } from 'node:path';
import { findRecord, parseNumber, readAdrDir } from './adr-dir.js';
import { AuditLogUnavailable, type AuditLogReader, type Flip } from './audit-log.js';
import { scanManifests } from './manifest-refs.js';
import { formatNumber } from './record.js';

export interface ShowOptions {
  dir: string;
  manifestDir: string;
  auditLog: AuditLogReader;
}

const stageText = (stage: string | null, percentage: number | null): string =>
  [stage ?? '?', percentage !== null && percentage !== undefined ? `${percentage}%` : undefined].filter(Boolean).join(' ');

function flipsTable(flips: Flip[]): string {
  const table = new Table({ head: ['When', 'Domain', 'From', 'To', 'Mode', 'Actor', 'Reason'], style: { head: [], border: [], compact: true } });
  for (const f of flips) {
    table.push([f.at.toISOString(), f.domain, stageText(f.fromStage, f.fromPercentage), stageText(f.toStage, f.toPercentage), f.mode, f.actor, f.reason ?? '']);
  }
  return table.toString();
}

/**
 * `adr show <n>`: the record, the domains whose manifest cites it, and the flips of the audit log that
 * cite it. An unreadable audit log is reported in the output, not as a failure.
 */
export async function showRecord(rawNumber: string, opts: ShowOptions): Promise<string> {
  const n = parseNumber(rawNumber);
  const adrs = await readAdrDir(opts.dir);
  const record = findRecord(adrs, n);
  const name = `ADR ${formatNumber(n)}`;
  const out: string[] = [record.text.trimEnd(), '', '---', ''];

  const scan = await scanManifests(opts.manifestDir);
  const citing = scan.refs.filter((r) => r.value === n);
  if (citing.length === 0) {
    out.push(`Domains citing ${name}: none.`);
  } else {
    out.push(`Domains citing ${name}:`);
    for (const ref of citing) out.push(`  ${ref.domain ?? '(no domain)'}  (${relative(process.cwd(), ref.file) || ref.file}:${ref.line}, ${ref.keyPath})`);
  }
  for (const { file, reason } of scan.unreadable) out.push(`  (could not read ${relative(process.cwd(), file) || file}: ${reason})`);
  out.push('');

  try {
    const flips = await opts.auditLog.flipsCiting(n);
    if (flips.length === 0) out.push(`Flips citing ${name}: none in the audit log.`);
    else out.push(`Flips citing ${name}:`, flipsTable(flips));
  } catch (error) {
    if (!(error instanceof AuditLogUnavailable)) throw error;
    out.push(`Flips citing ${name}: the audit log could not be read: ${error.message}.`);
  }
  return out.join('\n');
}
