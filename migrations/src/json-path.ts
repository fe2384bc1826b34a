/**
 * The JSON paths of answer comparison (ADR-0023): a small subset of JSONPath that names fields of a
 * JSON body. `$` is the whole body; `.name` or `['name']` a member; `[3]` an array element; `[*]` or
 * `.*` any element or member; `..name` the member `name` at any depth. Differences are reported as
 * concrete paths (`$.items[3].price`); ignore rules and noise are patterns matched against them.
 */
export type PathSegment = { kind: 'key'; name: string } | { kind: 'index'; index: number } | { kind: 'any' } | { kind: 'deep'; name: string };

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$-]*/;

/** Parses a path pattern; throws an Error whose message says what is wrong and where. */
export function parseJsonPath(text: string): PathSegment[] {
  if (!text.startsWith('$')) throw new Error(`"${text}" must start with $ (the whole body), e.g. $.items[*].updatedAt`);
  const segments: PathSegment[] = [];
  let i = 1;
  while (i < text.length) {
    const rest = text.slice(i);
    if (rest.startsWith('..')) {
      const name = IDENT.exec(rest.slice(2))?.[0];
      if (!name) throw new Error(`"${text}": .. must be followed by a member name (at character ${i + 2})`);
      segments.push({ kind: 'deep', name });
      i += 2 + name.length;
    } else if (rest.startsWith('.*')) {
      segments.push({ kind: 'any' });
      i += 2;
    } else if (rest.startsWith('.')) {
      const name = IDENT.exec(rest.slice(1))?.[0];
      if (!name) throw new Error(`"${text}": . must be followed by a member name (at character ${i + 1}); use ['name'] for other characters`);
      segments.push({ kind: 'key', name });
      i += 1 + name.length;
    } else if (rest.startsWith('[*]')) {
      segments.push({ kind: 'any' });
      i += 3;
    } else if (/^\[\d+\]/.test(rest)) {
      const digits = /^\[(\d+)\]/.exec(rest)![1]!;
      segments.push({ kind: 'index', index: Number(digits) });
      i += digits.length + 2;
    } else if (/^\['[^'\\]*'\]/.test(rest)) {
      const name = /^\['([^'\\]*)'\]/.exec(rest)![1]!;
      segments.push({ kind: 'key', name });
      i += name.length + 4;
    } else {
      throw new Error(`"${text}": unexpected "${rest[0]}" at character ${i} (expected .name, ['name'], [n], [*], .* or ..name)`);
    }
  }
  return segments;
}

/** The text of a concrete path (keys that are not identifiers in brackets). */
export function formatJsonPath(segments: readonly PathSegment[]): string {
  let out = '$';
  for (const s of segments) {
    if (s.kind === 'key') out += IDENT.exec(s.name)?.[0] === s.name ? `.${s.name}` : `['${s.name.replace(/['\\]/g, '_')}']`;
    else if (s.kind === 'index') out += `[${s.index}]`;
    else if (s.kind === 'any') out += '[*]';
    else out += `..${s.name}`;
  }
  return out;
}

/** A concrete path with every array index replaced by [*]: the form differences are counted under. */
export function generalise(segments: readonly PathSegment[]): PathSegment[] {
  return segments.map((s) => (s.kind === 'index' ? { kind: 'any' } : s));
}

/** Whether the concrete path `path` (keys and indexes only) is matched by `pattern`, or lies under a match. */
export function matchesJsonPath(pattern: readonly PathSegment[], path: readonly PathSegment[]): boolean {
  const walk = (p: number, q: number): boolean => {
    if (p === pattern.length) return true; // everything under a matched node is covered
    if (q === path.length) return false;
    const want = pattern[p]!;
    const have = path[q]!;
    switch (want.kind) {
      case 'any':
        return walk(p + 1, q + 1);
      case 'key':
        return have.kind === 'key' && have.name === want.name && walk(p + 1, q + 1);
      case 'index':
        return have.kind === 'index' && have.index === want.index && walk(p + 1, q + 1);
      case 'deep':
        for (let k = q; k < path.length; k++) {
          const at = path[k]!;
          if (at.kind === 'key' && at.name === want.name && walk(p + 1, k + 1)) return true;
        }
        return false;
    }
  };
  return walk(0, 0);
}
