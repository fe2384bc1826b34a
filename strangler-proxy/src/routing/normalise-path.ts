/**
 * Path normalisation: every request is matched AND forwarded in its normalised form, so no
 * encoding trick can reach a target other than the one its normalised form reaches.
 *
 * - percent-escapes of unreserved characters are decoded (`%2e` → `.`, `%41` → `A`); other escapes
 *   are kept with upper-case hex (`%c3%a9` → `%C3%A9`);
 * - empty segments are dropped (`//` → `/`), `.` and `..` segments are resolved, a trailing slash
 *   is removed;
 * - rejected: an encoded `/`, `\` or control character, a raw `\` or control character, a malformed
 *   escape, `..` above the root, a segment ending in a dot, and anything not in origin form.
 * Literal segments are matched case-insensitively by the route table (as Express routes do).
 */
export type NormalisedPath = { ok: true; path: string; search: string } | { ok: false; reason: string };

const UNRESERVED = /^[A-Za-z0-9._~-]$/;
const HEX = /^[0-9A-Fa-f]{2}$/;

/**
 * The common case, checked in one pass without building anything: only allowed characters, no
 * escape, no dot (so no `.` or `..` segment and no segment ending in a dot), no empty segment and no
 * trailing slash. Such a path is its own normal form (what the full normalisation below returns).
 */
function isAlreadyNormal(rawPath: string): boolean {
  const last = rawPath.length - 1;
  if (last > 0 && rawPath.charCodeAt(last) === 0x2f) return false;
  for (let i = 0; i <= last; i++) {
    const ch = rawPath.charCodeAt(i);
    if (ch <= 0x20 || ch === 0x7f || ch === 0x5c || ch === 0x23 || ch > 0x7e || ch === 0x25 || ch === 0x2e) return false;
    if (ch === 0x2f && i > 0 && rawPath.charCodeAt(i - 1) === 0x2f) return false;
  }
  return true;
}

export function normalisePath(url: string): NormalisedPath {
  if (!url.startsWith('/')) return { ok: false, reason: 'the request target must be a path starting with /' };
  const q = url.indexOf('?');
  const rawPath = q === -1 ? url : url.slice(0, q);
  const search = q === -1 ? '' : url.slice(q);
  if (isAlreadyNormal(rawPath)) return { ok: true, path: rawPath, search };

  let decoded = '';
  for (let i = 0; i < rawPath.length; i++) {
    const ch = rawPath.charCodeAt(i);
    if (ch <= 0x20 || ch === 0x7f || ch === 0x5c || ch === 0x23 || ch > 0x7e) {
      return { ok: false, reason: 'the path contains a character that is not allowed' };
    }
    if (ch !== 0x25) {
      decoded += rawPath[i];
      continue;
    }
    const hex = rawPath.slice(i + 1, i + 3);
    if (!HEX.test(hex)) return { ok: false, reason: 'the path contains a malformed percent-escape' };
    const code = parseInt(hex, 16);
    const char = String.fromCharCode(code);
    if (char === '/' || char === '\\' || code < 0x20 || code === 0x7f) {
      return { ok: false, reason: 'the path contains an encoded separator or control character' };
    }
    decoded += UNRESERVED.test(char) ? char : `%${hex.toUpperCase()}`;
    i += 2;
  }

  const segments: string[] = [];
  for (const segment of decoded.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      if (segments.length === 0) return { ok: false, reason: 'the path climbs above the root' };
      segments.pop();
      continue;
    }
    if (segment.endsWith('.')) return { ok: false, reason: 'a path segment ends with a dot' };
    segments.push(segment);
  }
  return { ok: true, path: `/${segments.join('/')}`, search };
}
