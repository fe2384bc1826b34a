import { readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from './errors.js';
import { INDEX_FILE, NUMBERED_FILE, RECORD_FILE, formatNumber, isStatus, numberList, parseRecord, type ParsedRecord, type Status } from './record.js';

/** One Markdown file of the ADR directory that claims a number. */
export interface RecordFile extends ParsedRecord {
  number: number;
  fileName: string;
  path: string;
  /** The kebab-case part of a well-formed file name, undefined when the name is malformed. */
  slug: string | undefined;
  text: string;
  status: unknown;
  date: unknown;
  supersedes: number[];
  supersededBy: number | undefined;
}

/** A record that the commands can work on: well named, with front matter, a title and a valid status. */
export interface AdrRecord extends RecordFile {
  slug: string;
  title: string;
  status: Status;
  frontMatter: Record<string, unknown>;
}

export interface AdrDir {
  dir: string;
  records: RecordFile[];
  /** Markdown files other than the index that claim no number. */
  strays: string[];
}

export async function readAdrDir(dir: string): Promise<AdrDir> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    throw new UsageError(`cannot read the ADR directory ${dir}: ${(error as Error).message}`);
  }
  const records: RecordFile[] = [];
  const strays: string[] = [];
  for (const fileName of names.sort()) {
    if (!fileName.endsWith('.md') || fileName === INDEX_FILE) continue;
    const numbered = NUMBERED_FILE.exec(fileName);
    if (!numbered) {
      strays.push(fileName);
      continue;
    }
    records.push(recordFromText(dir, fileName, Number(numbered[1]), await readFile(join(dir, fileName), 'utf8')));
  }
  records.sort((a, b) => a.number - b.number || a.fileName.localeCompare(b.fileName));
  return { dir, records, strays };
}

function recordFromText(dir: string, fileName: string, number: number, text: string): RecordFile {
  const parsed = parseRecord(text);
  const fm = parsed.frontMatter ?? {};
  const supersededBy = fm['superseded-by'];
  return {
    ...parsed,
    number,
    fileName,
    path: join(dir, fileName),
    slug: RECORD_FILE.exec(fileName)?.[2],
    text,
    status: fm['status'],
    date: fm['date'],
    supersedes: numberList(fm['supersedes']),
    supersededBy: Number.isInteger(supersededBy) ? (supersededBy as number) : undefined,
  };
}

/** The directory as it will be once `files` (file name to new text) are written. */
export function withFiles(adrs: AdrDir, files: Map<string, string>): AdrDir {
  const records = adrs.records.filter((r) => !files.has(r.fileName));
  for (const [fileName, text] of files) {
    const numbered = NUMBERED_FILE.exec(fileName);
    if (numbered) records.push(recordFromText(adrs.dir, fileName, Number(numbered[1]), text));
  }
  records.sort((a, b) => a.number - b.number || a.fileName.localeCompare(b.fileName));
  return { ...adrs, records };
}

export function nextNumber(adrs: AdrDir): number {
  return adrs.records.reduce((max, r) => Math.max(max, r.number), 0) + 1;
}

/** The record numbered `n`, readable enough to change; otherwise a UsageError that says why. */
export function findRecord(adrs: AdrDir, n: number): AdrRecord {
  const matches = adrs.records.filter((r) => r.number === n);
  if (matches.length === 0) throw new UsageError(`there is no ADR ${formatNumber(n)} in ${adrs.dir}`);
  if (matches.length > 1) throw new UsageError(`ADR ${formatNumber(n)} is claimed by ${matches.map((r) => r.fileName).join(' and ')}; run lint and fix that first`);
  const record = matches[0]!;
  const problem = !record.slug
    ? `its file name ${record.fileName} is not NNNN-kebab-title.md`
    : (record.frontMatterError ?? (!record.title ? 'it has no "# Title" heading' : !isStatus(record.status) ? `its status "${String(record.status)}" is not valid` : undefined));
  if (problem) throw new UsageError(`ADR ${formatNumber(n)} cannot be changed: ${problem}; run lint and fix it first`);
  return record as AdrRecord;
}

/** Parses a command-line record number such as `3` or `0003`. */
export function parseNumber(raw: string): number {
  if (!/^\d+$/.test(raw) || Number(raw) === 0) throw new UsageError(`"${raw}" is not an ADR number; use a positive whole number such as 3 or 0003`);
  return Number(raw);
}

/**
 * Writes a set of files as one change: new files are created exclusively (an existing file is never
 * overwritten), and if any write fails the files already written are put back as they were.
 */
export async function writeAll(changes: { path: string; text: string; create?: boolean }[]): Promise<void> {
  const done: { path: string; previous: string | undefined }[] = [];
  try {
    for (const change of changes) {
      const previous = change.create ? undefined : await readFile(change.path, 'utf8').catch(() => undefined);
      try {
        await writeFile(change.path, change.text, { flag: change.create ? 'wx' : 'w' });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new UsageError(`${change.path} already exists; refusing to overwrite it`);
        throw error;
      }
      done.push({ path: change.path, previous });
    }
  } catch (error) {
    for (const { path, previous } of done.reverse()) {
      if (previous === undefined) await rm(path, { force: true });
      else await writeFile(path, previous);
    }
    throw error;
  }
}
