import Table from 'cli-table3';
import { join } from 'node:path';
import { findRecord, nextNumber, parseNumber, readAdrDir, withFiles, writeAll, type AdrDir, type AdrRecord } from './adr-dir.js';
import { UsageError } from './errors.js';
import { indexPath, renderIndex } from './index-file.js';
import { addLineUnderTitle, fileNameFor, formatNumber, renderTemplate, updateFrontMatter, validateStatus, validateTitle, type Status } from './record.js';

/** What every writing command needs: the ADR directory and today's date (YYYY-MM-DD). */
export interface WriteOptions {
  dir: string;
  today: string;
}

export const DEFAULT_DECISION_MAKERS = '{list everyone involved in the decision}';

const refTo = (r: { number: number; title: string; fileName: string }): string => `[ADR-${formatNumber(r.number)}: ${r.title}](${r.fileName})`;

/** Writes the changed records and, in the same change, the index regenerated from them. */
async function commit(adrs: AdrDir, files: Map<string, string>, created: string[]): Promise<void> {
  const after = withFiles(adrs, files);
  await writeAll([
    ...[...files].map(([fileName, text]) => ({ path: join(adrs.dir, fileName), text, create: created.includes(fileName) })),
    { path: indexPath(adrs.dir), text: renderIndex(after) },
  ]);
}

export interface NewOptions extends WriteOptions {
  status?: string;
  decisionMakers?: string;
}

/** `adr new "Title"`: the next number, a kebab-case file name, the MADR 4 template. Returns the new file's path. */
export async function newRecord(rawTitle: string, opts: NewOptions): Promise<string> {
  const title = validateTitle(rawTitle);
  const status = validateStatus(opts.status ?? 'proposed');
  if (status === 'superseded') throw new UsageError('a new record cannot start superseded; use supersede on the older record instead');
  const adrs = await readAdrDir(opts.dir);
  const fileName = fileNameFor(nextNumber(adrs), title);
  const text = renderTemplate({ title, status, date: opts.today, decisionMakers: opts.decisionMakers?.trim() || DEFAULT_DECISION_MAKERS });
  await commit(adrs, new Map([[fileName, text]]), [fileName]);
  return join(opts.dir, fileName);
}

/** Marks `older` superseded by `newer` in both texts: front matter fields and a link each way under the titles. */
function linkSupersede(older: AdrRecord, newer: { number: number; title: string; fileName: string; text: string; supersedes: number[] }, today: string): { olderText: string; newerText: string } {
  const olderText = addLineUnderTitle(
    updateFrontMatter(older.text, { status: 'superseded', date: today, 'superseded-by': newer.number }),
    `Superseded by ${refTo(newer)}.`,
  );
  const supersedes = [...new Set([...newer.supersedes, older.number])];
  const newerText = addLineUnderTitle(
    updateFrontMatter(newer.text, { supersedes: supersedes.length === 1 ? supersedes[0] : supersedes }),
    `Supersedes ${refTo(older)}.`,
  );
  return { olderText, newerText };
}

function assertSupersedable(older: AdrRecord): void {
  if (older.status === 'superseded') {
    throw new UsageError(`ADR ${formatNumber(older.number)} is already superseded${older.supersededBy ? ` by ADR ${formatNumber(older.supersededBy)}` : ''}; supersede that one instead`);
  }
  if (older.status !== 'accepted' && older.status !== 'deprecated') {
    throw new UsageError(`ADR ${formatNumber(older.number)} is ${older.status}; only an accepted or deprecated decision can be superseded (edit a proposed one instead)`);
  }
}

/** `adr supersede <n> "New title"`: a new record that replaces record n, both linked each way. Returns the new file's path. */
export async function supersede(rawNumber: string, rawTitle: string, opts: NewOptions): Promise<string> {
  const n = parseNumber(rawNumber);
  const title = validateTitle(rawTitle);
  const status = validateStatus(opts.status ?? 'proposed');
  if (status === 'superseded') throw new UsageError('the new record cannot itself be superseded');
  const adrs = await readAdrDir(opts.dir);
  const older = findRecord(adrs, n);
  assertSupersedable(older);
  const number = nextNumber(adrs);
  const fileName = fileNameFor(number, title);
  const template = renderTemplate({ title, status, date: opts.today, decisionMakers: opts.decisionMakers?.trim() || DEFAULT_DECISION_MAKERS });
  const { olderText, newerText } = linkSupersede(older, { number, title, fileName, text: template, supersedes: [] }, opts.today);
  await commit(adrs, new Map([[older.fileName, olderText], [fileName, newerText]]), [fileName]);
  return join(opts.dir, fileName);
}

export interface StatusOptions extends WriteOptions {
  /** For `superseded`: the number of the record that replaces this one. */
  by?: string;
}

/** `adr status <n> <status>`: sets the status and the date. Returns a line saying what happened. */
export async function setStatus(rawNumber: string, rawStatus: string, opts: StatusOptions): Promise<string> {
  const n = parseNumber(rawNumber);
  const status: Status = validateStatus(rawStatus);
  const adrs = await readAdrDir(opts.dir);
  const record = findRecord(adrs, n);
  const name = `ADR ${formatNumber(n)}`;

  if (status === 'superseded') {
    if (opts.by === undefined) throw new UsageError(`say which record supersedes ${name} with --by <n>, or write the new one with: adr supersede ${n} "New title"`);
    const by = parseNumber(opts.by);
    if (by === n) throw new UsageError(`${name} cannot supersede itself`);
    const newer = findRecord(adrs, by);
    assertSupersedable(record);
    const { olderText, newerText } = linkSupersede(record, newer, opts.today);
    await commit(adrs, new Map([[record.fileName, olderText], [newer.fileName, newerText]]), []);
    return `${name} is now superseded by ADR ${formatNumber(by)}`;
  }
  if (opts.by !== undefined) throw new UsageError('--by goes only with the status superseded');
  if (record.status === 'superseded') {
    throw new UsageError(`${name} is superseded${record.supersededBy ? ` by ADR ${formatNumber(record.supersededBy)}` : ''}; a superseded decision stays superseded (write a new record to revive it)`);
  }
  if (record.status === status) return `${name} is already ${status}; nothing changed`;
  await commit(adrs, new Map([[record.fileName, updateFrontMatter(record.text, { status, date: opts.today })]]), []);
  return `${name} is now ${status}`;
}

/** `adr list`: number, title, status and date of every record, as a table. */
export async function listRecords(dir: string): Promise<string> {
  const adrs = await readAdrDir(dir);
  const table = new Table({ head: ['ADR', 'Title', 'Status', 'Date'], style: { head: [], border: [], compact: true } });
  for (const r of adrs.records) {
    const status = r.supersededBy !== undefined ? `${String(r.status)} by ${formatNumber(r.supersededBy)}` : String(r.status ?? '(none)');
    table.push([formatNumber(r.number), r.title ?? `(no title: ${r.fileName})`, status, String(r.date ?? '')]);
  }
  return table.toString();
}

/** `adr index`: regenerates docs/adr/README.md. Returns its path. */
export async function writeIndex(dir: string): Promise<string> {
  const adrs = await readAdrDir(dir);
  await writeAll([{ path: indexPath(dir), text: renderIndex(adrs) }]);
  return indexPath(dir);
}
