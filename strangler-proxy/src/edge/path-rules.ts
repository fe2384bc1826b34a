/**
 * Rules such as `/api/cart`, `POST /api/products` or `GET /api/products=100/60` matched against a
 * normalised path: a rule's path is a prefix on segment boundaries (`/api/cart` matches
 * `/api/cart/items/1`, not `/api/cartoons`), its method (optional) must equal the request's.
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

export function matchesRule(rule: PathRule, method: string, path: string): boolean {
  if (rule.method && rule.method !== method) return false;
  if (rule.prefix === '/') return true;
  const lower = path.toLowerCase();
  return lower === rule.prefix || lower.startsWith(`${rule.prefix}/`);
}
