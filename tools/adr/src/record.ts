import { isMap, parseDocument, stringify } from 'yaml';
import { UsageError } from './errors.js';

/** The statuses MADR 4 names. `superseded` always comes with `superseded-by`. */
export const STATUSES = ['proposed', 'accepted', 'rejected', 'deprecated', 'superseded'] as const;
export type Status = (typeof STATUSES)[number];

export function isStatus(value: unknown): value is Status {
  return typeof value === 'string' && (STATUSES as readonly string[]).includes(value);
}

/** `0001-record-architecture-decisions.md`: four digits, a dash, the kebab-case title. */
export const RECORD_FILE = /^(\d{4})-([a-z0-9]+(?:-[a-z0-9]+)*)\.md$/;
/** Any Markdown file that claims a number, well named or not. */
export const NUMBERED_FILE = /^(\d+)-.*\.md$/;
export const INDEX_FILE = 'README.md';

const FRONT_MATTER = /^---\r?\n([\s\S]*?\r?\n)?---\r?\n/;

export function formatNumber(n: number): string {
  return String(n).padStart(4, '0');
}

/** Lower case ASCII words joined by dashes: "Express 5 + Prisma 7" becomes "express-5-prisma-7". */
export function kebab(title: string): string {
  return title
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

export function fileNameFor(n: number, title: string): string {
  return `${formatNumber(n)}-${kebab(title)}.md`;
}

/** A title must be one non-empty line that yields a file name. */
export function validateTitle(raw: string): string {
  const title = raw.trim();
  if (title === '') throw new UsageError('the title is empty; give the decision a short title, e.g. "Use Kafka for CDC"');
  if (/[\r\n]/.test(title)) throw new UsageError('the title must be a single line');
  if (kebab(title) === '') throw new UsageError(`the title "${title}" has no letters or digits to name the file after`);
  return title;
}

export function validateStatus(raw: string): Status {
  if (!isStatus(raw)) throw new UsageError(`"${raw}" is not a status; use one of ${STATUSES.join(', ')}`);
  return raw;
}

export interface ParsedRecord {
  /** The YAML front matter as a plain object, or undefined when missing or unreadable. */
  frontMatter: Record<string, unknown> | undefined;
  frontMatterError: string | undefined;
  /** The text of the first `# ` heading. */
  title: string | undefined;
  body: string;
}

export function parseRecord(text: string): ParsedRecord {
  const match = FRONT_MATTER.exec(text);
  let frontMatter: Record<string, unknown> | undefined;
  let frontMatterError: string | undefined;
  let body = text;
  if (!match) {
    frontMatterError = 'has no front matter (a YAML block between --- lines at the top)';
  } else {
    body = text.slice(match[0].length);
    const doc = parseDocument(match[1] ?? '');
    if (doc.errors.length > 0) {
      frontMatterError = `front matter is not valid YAML: ${doc.errors[0]!.message.split('\n')[0]}`;
    } else if (!isMap(doc.contents)) {
      frontMatterError = 'front matter is not a YAML mapping';
    } else {
      frontMatter = doc.toJS() as Record<string, unknown>;
    }
  }
  const heading = /^# (.+?)\s*$/m.exec(body);
  return { frontMatter, frontMatterError, title: heading?.[1], body };
}

/** Numbers of the records a record supersedes: `supersedes: 3` or `supersedes: [3, 4]`. */
export function numberList(value: unknown): number[] {
  if (value === undefined || value === null) return [];
  const list = Array.isArray(value) ? value : [value];
  return list.filter((v): v is number => Number.isInteger(v));
}

/**
 * Sets (or, with `undefined`, removes) front matter fields, keeping every other field, comment and
 * the body as they were.
 */
export function updateFrontMatter(text: string, fields: Record<string, unknown>): string {
  const match = FRONT_MATTER.exec(text);
  if (!match) throw new UsageError('the record has no front matter to update');
  const doc = parseDocument(match[1] ?? '');
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) doc.delete(key);
    else doc.set(key, value);
  }
  return `---\n${doc.toString({ lineWidth: 0 })}---\n${text.slice(match[0].length)}`;
}

/** Puts a line (a link to a related record) right under the `# Title` heading. */
export function addLineUnderTitle(text: string, line: string): string {
  const heading = /^# .+$/m.exec(text);
  if (!heading) throw new UsageError('the record has no "# Title" heading to put the link under');
  const end = heading.index + heading[0].length;
  return `${text.slice(0, end)}\n\n${line}${text.slice(end)}`;
}

export interface TemplateFields {
  title: string;
  status: Status;
  date: string;
  decisionMakers: string;
  supersedes?: number;
}

/** A new record in the MADR 4 template, with the sections to fill in. */
export function renderTemplate(f: TemplateFields): string {
  const frontMatter: Record<string, unknown> = { status: f.status, date: f.date, 'decision-makers': f.decisionMakers };
  if (f.supersedes !== undefined) frontMatter['supersedes'] = f.supersedes;
  const lines = ['---', stringify(frontMatter, { lineWidth: 0 }).trimEnd()];
  lines.push(
    '---',
    '',
    `# ${f.title}`,
    '',
    '## Context and Problem Statement',
    '',
    '{Describe the context and the problem in two or three sentences, ideally as a question.}',
    '',
    '## Decision Drivers',
    '',
    '* {a force, concern or constraint}',
    '',
    '## Considered Options',
    '',
    '* {title of option 1}',
    '* {title of option 2}',
    '',
    '## Decision Outcome',
    '',
    'Chosen option: "{title of option 1}", because {justification}.',
    '',
    '### Consequences',
    '',
    '* Good, because {positive consequence}',
    '* Bad, because {negative consequence}',
    '',
    '### Confirmation',
    '',
    '{How the implementation of this decision is checked: a test, a lint rule, a review.}',
    '',
    '## Pros and Cons of the Options',
    '',
    '### {title of option 1}',
    '',
    '* Good, because {argument}',
    '* Bad, because {argument}',
    '',
    '### {title of option 2}',
    '',
    '* Good, because {argument}',
    '* Bad, because {argument}',
    '',
    '## More Information',
    '',
    '{Links to related decisions, the domain manifests and routes this decision moves, when to revisit it.}',
    '',
  );
  return lines.join('\n');
}
