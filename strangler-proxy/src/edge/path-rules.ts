/**
 * Rules such as `/api/cart`, `POST /api/products` or `GET /api/products=100/60` matched against a
 * normalised path: a rule's path is a prefix on segment boundaries (`/api/cart` matches
 * `/api/cart/items/1`, not `/api/cartoons`), its method (optional) must equal the request's, and a
 * `GET` rule also covers `HEAD` (a HEAD is a GET without the body: it must not slip past a GET rule).
 */
export interface PathRule {
  method: string | undefined;
  prefix: string;
}

const RULE = /^(?:([A-Z]+)\s+)?(\/[^\s]*)$/;

export function parsePathRule(text: string): PathRule | undefined {
  const match = RULE.exec(text.trim());
  if (!match) return undefined;
  const prefix = match[2]!.length > 1 ? match[2]!.replace(/\/+$/, '').toLowerCase() : '/';
  return { method: match[1], prefix };
}

/** A comma-separated list of rules; throws naming the item that is not a rule. */
export function parsePathRules(text: string): PathRule[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((item) => {
      const rule = parsePathRule(item);
      if (!rule) throw new Error(`"${item}" is not a route such as /api/cart or "POST /api/products"`);
      return rule;
    });
}

/** `lowerPath` is the normalised path in lower case (the caller lower-cases it once per request). */
export function matchesRule(rule: PathRule, method: string, lowerPath: string): boolean {
  if (rule.method && rule.method !== method && !(rule.method === 'GET' && method === 'HEAD')) return false;
  if (rule.prefix === '/') return true;
  // The prefix itself, or the prefix followed by a `/` (no string built per request and rule).
  return lowerPath.startsWith(rule.prefix) && (lowerPath.length === rule.prefix.length || lowerPath.charCodeAt(rule.prefix.length) === 0x2f);
}

/** Whether any of `rules` matches (a loop, not a closure per request). */
export function matchesAnyRule(rules: PathRule[], method: string, lowerPath: string): boolean {
  for (const rule of rules) if (matchesRule(rule, method, lowerPath)) return true;
  return false;
}
