import { readFile, stat } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { readAdrDir, type RecordFile } from './adr-dir.js';
import { indexPath, renderIndex } from './index-file.js';
import { scanManifests } from './manifest-refs.js';
import { STATUSES, fileNameFor, formatNumber, isStatus, kebab } from './record.js';

export interface Problem {
  /** The file at fault, relative to the working directory. */
  file: string;
  message: string;
}

export interface LintResult {
  problems: Problem[];
  records: number;
  manifestRefs: number;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

function isRealDate(value: string): boolean {
  const d = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === value;
}

/** Relative link targets of a Markdown text, outside fenced code blocks and inline code. */
export function relativeLinks(markdown: string): string[] {
  const text = markdown.replace(/^(```|~~~)[\s\S]*?^\1/gm, '').replace(/`[^`\n]*`/g, '');
  const targets: string[] = [];
  for (const m of text.matchAll(/\]\(\s*(?:<([^>\n]+)>|([^)\s]+))(?:\s+["'][^)]*["'])?\s*\)/g)) {
    const target = (m[1] ?? m[2])!;
    if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('#') || target.startsWith('/')) continue;
    targets.push(target);
  }
  return targets;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/**
 * Checks the ADR directory and every `adr:` reference of the domain manifests: numbering without gaps
 * or duplicates, valid front matter and status, titles that match file names, consistent supersede
 * links, working relative links, an up-to-date index, and manifests that cite existing accepted records.
 */
export async function lint(adrDir: string, manifestDir: string): Promise<LintResult> {
  const adrs = await readAdrDir(adrDir);
  const problems: Problem[] = [];
  const rel = (path: string): string => relative(process.cwd(), path) || path;
  const report = (path: string, message: string): void => {
    problems.push({ file: rel(path), message });
  };

  for (const stray of adrs.strays) report(join(adrDir, stray), 'is not named NNNN-kebab-title.md (four digits, a dash, the title in kebab case)');

  // Numbering: 1..N, each once.
  const byNumber = new Map<number, RecordFile[]>();
  for (const r of adrs.records) byNumber.set(r.number, [...(byNumber.get(r.number) ?? []), r]);
  for (const [n, claimants] of byNumber) {
    if (claimants.length > 1) report(adrDir, `ADR ${formatNumber(n)} is claimed by ${claimants.length} files: ${claimants.map((r) => r.fileName).join(', ')}`);
  }
  const highest = Math.max(0, ...byNumber.keys());
  const missing = [];
  for (let n = 1; n <= highest; n++) if (!byNumber.has(n)) missing.push(formatNumber(n));
  if (missing.length > 0) report(adrDir, `numbering has a gap: no record numbered ${missing.join(', ')} (numbers run from 0001 without gaps)`);

  for (const r of adrs.records) {
    const at = (message: string): void => report(r.path, message);
    if (!r.slug) at('is not named NNNN-kebab-title.md (four digits, a dash, the title in kebab case)');
    if (r.frontMatterError) {
      at(r.frontMatterError);
    } else {
      if (!isStatus(r.status)) at(`status "${String(r.status ?? '')}" is not one of ${STATUSES.join(', ')}`);
      if (typeof r.date !== 'string' || !DATE.test(r.date) || !isRealDate(r.date)) at(`date "${String(r.date ?? '')}" is not a YYYY-MM-DD date`);
      const makers = r.frontMatter?.['decision-makers'];
      if (makers === undefined || makers === null || String(makers).trim() === '' || (Array.isArray(makers) && makers.length === 0)) {
        at('decision-makers is missing or empty');
      }
    }
    if (!r.title) {
      at('has no "# Title" heading');
    } else if (r.slug !== undefined && kebab(r.title) !== r.slug) {
      at(`title "${r.title}" does not match the file name; the file should be ${fileNameFor(r.number, r.title)} (or the title should match ${r.fileName})`);
    }

    // Supersede links, each way.
    if (r.status === 'superseded' && r.supersededBy === undefined) at('is superseded but names no superseded-by record');
    if (r.supersededBy !== undefined) {
      const newer = byNumber.get(r.supersededBy)?.[0];
      if (r.status !== 'superseded') at(`has superseded-by ${r.supersededBy} but its status is ${String(r.status)}, not superseded`);
      if (!newer) at(`superseded-by ${r.supersededBy}: there is no ADR ${formatNumber(r.supersededBy)}`);
      else if (!newer.supersedes.includes(r.number)) at(`superseded-by ${r.supersededBy}, but ${newer.fileName} does not list ${r.number} under supersedes`);
    }
    for (const older of r.supersedes) {
      const old = byNumber.get(older)?.[0];
      if (!old) at(`supersedes ${older}: there is no ADR ${formatNumber(older)}`);
      else if (old.supersededBy !== r.number) at(`supersedes ${older}, but ${old.fileName} does not say superseded-by ${r.number}`);
    }

    for (const target of relativeLinks(r.body)) {
      const path = resolve(dirname(r.path), decodeURIComponent(target.split('#')[0]!));
      if (!(await exists(path))) at(`link to ${target} is broken: ${rel(path)} does not exist`);
    }
  }

  // The index.
  const index = indexPath(adrDir);
  const indexText = await readFile(index, 'utf8').catch(() => undefined);
  if (indexText === undefined) report(index, 'is missing; run: npm run adr -- index');
  else if (indexText !== renderIndex(adrs)) report(index, 'is out of date; run: npm run adr -- index');
  else {
    for (const target of relativeLinks(indexText)) {
      if (!(await exists(resolve(adrDir, decodeURIComponent(target.split('#')[0]!))))) report(index, `link to ${target} is broken`);
    }
  }

  // Domain manifests.
  const scan = await scanManifests(manifestDir);
  for (const { file, reason } of scan.unreadable) report(file, `is not valid YAML, so its ADR references cannot be checked: ${reason}`);
  for (const ref of scan.refs) {
    const where = `${rel(ref.file)}:${ref.line}`;
    const say = (message: string): void => {
      problems.push({ file: where, message: `${ref.keyPath}: ${message}` });
    };
    if (typeof ref.value !== 'number' || !Number.isInteger(ref.value) || ref.value < 1) {
      say(`"${String(ref.value)}" is not an ADR number`);
      continue;
    }
    const target = byNumber.get(ref.value)?.[0];
    if (!target) say(`cites ADR ${formatNumber(ref.value)}, which does not exist in ${rel(adrDir)}`);
    else if (target.status !== 'accepted') {
      const hint = target.supersededBy !== undefined ? `; cite ADR ${formatNumber(target.supersededBy)}, which supersedes it` : '';
      say(`cites ADR ${formatNumber(ref.value)}, which is ${String(target.status)}, not accepted${hint}`);
    }
  }

  return { problems, records: adrs.records.length, manifestRefs: scan.refs.length };
}
