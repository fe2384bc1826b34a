/** Unleash flag names for domains and per-route overrides (Unleash accepts [A-Za-z0-9._-]). */
export const FLAG_PREFIX = 'strangler';

export function domainFlagName(domain: string): string {
  return `${FLAG_PREFIX}.${domain}`;
}

/** `GET /api/products/:id` in catalog → `strangler.catalog.get-api-products-id`. */
export function routeFlagName(domain: string, method: string, template: string): string {
  const slug = template
    .toLowerCase()
    .split('/')
    .filter(Boolean)
    .map((s) => s.replace(/^:/, '').replace(/[^a-z0-9-]/g, '_'))
    .join('-');
  return `${FLAG_PREFIX}.${domain}.${method.toLowerCase()}-${slug || 'root'}`;
}
