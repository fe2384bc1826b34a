import type { IncomingHttpHeaders } from 'node:http';
import { formatJsonPath, generalise, matchesJsonPath, type PathSegment } from '@strangler/manifests';
import { redact } from '@strangler/platform';

/** One side's answer as the proxy kept it: the body only up to the comparison's limit. */
export interface CapturedAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** The body was longer than the limit: `body` holds its first bytes only. */
  truncated: boolean;
  durationMs: number;
}

export type CompareOutcome = 'equal' | 'different' | 'failed' | 'too_large';

export interface Difference {
  /** Where, concretely: `status`, `header content-type`, `$.items[3].priceCents`, or `$` for a body compared as bytes. */
  path: string;
  /** The same with array indexes as [*]: what differences are counted and noise is recorded under. */
  pattern: string;
  legacy: unknown;
  new: unknown;
}

/** The headers that change what a client does with the answer (the rest, dates and ids, differ by nature). */
export const COMPARED_HEADERS = ['content-type', 'cache-control', 'expires', 'vary'] as const;

/** At most this many differences are listed for one pair of answers. */
const MAX_DIFFERENCES = 50;
const SECRET_KEY = /pass(word)?|secret|token|authorization|cookie|api[-_]?key|card|session/i;
const SECRET_VALUE = /^(Bearer\s+\S+|eyJ[\w-]+\.[\w-]+\.[\w-]*|v1\.[\w-]+\.[0-9a-f]+\.[\w-]+)$/;

/** A value fit to be stored as an example: secrets and tokens redacted, long text and large objects cut short. */
export function exampleValue(key: string | undefined, value: unknown): unknown {
  if (key !== undefined && SECRET_KEY.test(key)) return '[redacted]';
  if (typeof value === 'string') {
    if (SECRET_VALUE.test(value.trim())) return '[redacted]';
    return value.length > 200 ? `${value.slice(0, 200)}… (${value.length} characters)` : value;
  }
  if (value === null || typeof value !== 'object') return value;
  const safe = redact(value);
  const text = JSON.stringify(safe);
  return text.length > 500 ? `[${Array.isArray(value) ? `array of ${value.length}` : `object of ${Object.keys(value).length} keys`}]` : safe;
}

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  if (value === undefined) return undefined;
  const text = Array.isArray(value) ? value.join(', ') : String(value);
  return name === 'content-type' ? text.toLowerCase().replace(/\s+/g, '') : text;
}

const isJson = (headers: IncomingHttpHeaders) => /^application\/([\w.+-]+\+)?json\b/i.test(headers['content-type'] ?? '');

function parseJson(body: Buffer): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(body.toString('utf8')) };
  } catch {
    return { ok: false };
  }
}

const MISSING = '(missing)';

/** Walks two JSON values: objects by key, arrays in order, numbers by value. */
function diffJson(a: unknown, b: unknown, path: PathSegment[], out: { path: PathSegment[]; legacy: unknown; new: unknown }[]): void {
  if (out.length >= MAX_DIFFERENCES) return;
  if (a === b) return;
  const aObj = a !== null && typeof a === 'object';
  const bObj = b !== null && typeof b === 'object';
  if (aObj && bObj && Array.isArray(a) === Array.isArray(b)) {
    if (Array.isArray(a) && Array.isArray(b)) {
      const n = Math.max(a.length, b.length);
      for (let i = 0; i < n; i++) {
        const seg: PathSegment = { kind: 'index', index: i };
        if (i >= a.length) out.push({ path: [...path, seg], legacy: MISSING, new: b[i] });
        else if (i >= b.length) out.push({ path: [...path, seg], legacy: a[i], new: MISSING });
        else diffJson(a[i], b[i], [...path, seg], out);
        if (out.length >= MAX_DIFFERENCES) return;
      }
      return;
    }
    const ao = a as Record<string, unknown>;
    const bo = b as Record<string, unknown>;
    const keys = new Set([...Object.keys(ao), ...Object.keys(bo)]);
    for (const key of keys) {
      const seg: PathSegment = { kind: 'key', name: key };
      if (!(key in ao)) out.push({ path: [...path, seg], legacy: MISSING, new: bo[key] });
      else if (!(key in bo)) out.push({ path: [...path, seg], legacy: ao[key], new: MISSING });
      else diffJson(ao[key], bo[key], [...path, seg], out);
      if (out.length >= MAX_DIFFERENCES) return;
    }
    return;
  }
  // Numbers by value (JSON.parse already made 1.0 and 1 the same); anything else differs.
  out.push({ path, legacy: a, new: b });
}

export interface Comparison {
  outcome: CompareOutcome;
  /** Every difference found (up to a limit), ignored ones already left out. */
  differences: Difference[];
}

/**
 * Compares the legacy side's answer with the new side's: status, the headers in COMPARED_HEADERS,
 * and the body as JSON when both are JSON (else as bytes). Paths matched by `ignore` are left out.
 * A body cut at the limit on either side makes the comparison `too_large`.
 */
export function compareAnswers(legacy: CapturedAnswer, next: CapturedAnswer, ignore: readonly PathSegment[][] = []): Comparison {
  if (legacy.truncated || next.truncated) return { outcome: 'too_large', differences: [] };
  const differences: Difference[] = [];
  if (legacy.status !== next.status) differences.push({ path: 'status', pattern: 'status', legacy: legacy.status, new: next.status });
  for (const name of COMPARED_HEADERS) {
    const a = headerValue(legacy.headers, name);
    const b = headerValue(next.headers, name);
    if (a !== b) differences.push({ path: `header ${name}`, pattern: `header ${name}`, legacy: a ?? MISSING, new: b ?? MISSING });
  }
  // The same bytes say the same thing whatever their type: no parse (the usual case of a healthy shadow).
  if (legacy.body.equals(next.body)) return { outcome: differences.length ? 'different' : 'equal', differences };
  const a = isJson(legacy.headers) ? parseJson(legacy.body) : { ok: false as const };
  const b = isJson(next.headers) ? parseJson(next.body) : { ok: false as const };
  if (a.ok && b.ok) {
    const found: { path: PathSegment[]; legacy: unknown; new: unknown }[] = [];
    diffJson(a.value, b.value, [], found);
    for (const d of found) {
      if (ignore.some((pattern) => matchesJsonPath(pattern, d.path))) continue;
      const last = d.path.at(-1);
      const key = last?.kind === 'key' ? last.name : undefined;
      differences.push({ path: formatJsonPath(d.path), pattern: formatJsonPath(generalise(d.path)), legacy: exampleValue(key, d.legacy), new: exampleValue(key, d.new) });
    }
  } else {
    const describe = (body: Buffer) => `${body.length} bytes${body.length && body.length <= 64 && /^[\x20-\x7e]*$/.test(body.toString('latin1')) ? `: ${body.toString('latin1')}` : ''}`;
    differences.push({ path: '$', pattern: '$', legacy: exampleValue(undefined, describe(legacy.body)), new: exampleValue(undefined, describe(next.body)) });
  }
  return { outcome: differences.length ? 'different' : 'equal', differences };
}

/**
 * Whether two answers are equal as `compareAnswers` judges them, decided without parsing: same
 * status, same compared headers, same body bytes, neither cut short. False says only "compare them".
 */
export function sameAnswer(legacy: CapturedAnswer, next: CapturedAnswer): boolean {
  if (legacy.truncated || next.truncated || legacy.status !== next.status || !legacy.body.equals(next.body)) return false;
  for (const name of COMPARED_HEADERS) if (headerValue(legacy.headers, name) !== headerValue(next.headers, name)) return false;
  return true;
}
