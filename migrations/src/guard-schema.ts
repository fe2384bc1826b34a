import { z } from 'zod';
import { parseJsonPath } from './json-path.js';

const share = (what: string) => z.number().min(0, `must be a share from 0 to 1 (${what})`).max(1, `must be a share from 0 to 1 (${what})`);

const jsonPath = z.string().superRefine((text, ctx) => {
  try {
    parseJsonPath(text);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: `is not a valid JSON path: ${err instanceof Error ? err.message : String(err)}` });
  }
});

/**
 * Answer comparison (ADR-0023): at `shadow` every safe request's copy is compared with the user's
 * answer (`shadowRate`); at `canary` and `new` a share of safe requests (`sampleRate`) is also sent to
 * the other side and compared (none unless the manifest sets it). A share of compared requests asks the legacy side twice (`noiseRate`)
 * to find the fields that differ between two legacy answers (noise).
 */
export const compareSchema = z
  .object({
    shadowRate: share('of the shadow copies compared').default(1),
    sampleRate: share('of safe requests compared at canary and new').default(0),
    noiseRate: share('of compared requests that ask the legacy side twice').default(0.1),
    /** Bodies are compared up to this many bytes; a longer answer counts as too_large. */
    maxBodyBytes: z.number().int().min(1024, 'must be at least 1024 bytes').max(16 * 1024 * 1024, 'must be at most 16 MiB').default(256 * 1024),
    /** Paths left out of the comparison, for one route (`GET /api/products/:id`) or, without a route, every route. */
    ignore: z
      .array(
        z
          .object({
            route: z.string().regex(/^(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS) \/\S*$/, 'must be METHOD /path/template as in routes, e.g. GET /api/products/:id').optional(),
            paths: z.array(jsonPath).min(1, 'needs at least one JSON path'),
          })
          .strict(),
      )
      .default([]),
  })
  .strict();

/**
 * A guarded rollout (ADR-0023): while the domain is at shadow, canary, new or owned, every proxy
 * measures the new side over the last `windowSeconds` and rolls the domain back one stage when a
 * limit is passed, once at least `minRequests` were measured.
 */
export const guardSchema = z
  .object({
    /** The largest share of the new side's answers that may be 5xx (or fail to arrive). */
    maxErrorRate: share('of answers that are 5xx or failed').default(0.05),
    /** The new side's p99 latency may be at most this multiple of the legacy side's. */
    maxP99Ratio: z.number().positive('must be a positive multiple of the legacy p99, e.g. 2').default(3),
    /** The largest share of compared answers that may differ (noise and ignored paths left out). */
    maxDiffRate: share('of compared answers that differ').default(0.01),
    minRequests: z.number().int().min(1, 'must be at least 1 request').default(100),
    windowSeconds: z.number().int().min(1, 'must be at least 1 second').max(86_400, 'must be at most a day (86400)').default(300),
    evaluateEverySeconds: z.number().int().min(1, 'must be at least 1 second').default(10),
    /** Automatic canary promotion: the percentages to take in turn, each held `intervalSeconds` while the guard holds. */
    promotion: z
      .object({
        steps: z
          .array(z.number().int().min(1, 'must be a percentage from 1 to 100').max(100, 'must be a percentage from 1 to 100'))
          .min(1, 'needs at least one percentage')
          .refine((steps) => steps.every((p, i) => i === 0 || p > steps[i - 1]!), 'must rise step by step, e.g. [5, 25, 50, 100]'),
        intervalSeconds: z.number().int().min(1, 'must be at least 1 second'),
      })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((guard, ctx) => {
    if (guard.windowSeconds < guard.evaluateEverySeconds) {
      ctx.addIssue({ code: 'custom', path: ['windowSeconds'], message: `is shorter than evaluateEverySeconds (${guard.evaluateEverySeconds}): each evaluation must see a whole window` });
    }
    if (guard.promotion && guard.promotion.intervalSeconds < guard.evaluateEverySeconds) {
      ctx.addIssue({ code: 'custom', path: ['promotion', 'intervalSeconds'], message: `is shorter than evaluateEverySeconds (${guard.evaluateEverySeconds})` });
    }
  });

export type CompareSettings = z.output<typeof compareSchema>;
export type GuardSettings = z.output<typeof guardSchema>;

/** Checks what needs the whole manifest: a service to compare and guard, and each compare.ignore route one of the domain's routes. */
export function checkCompareRoutes(manifest: { service?: unknown; routes: { method: string; path: string }[]; compare?: CompareSettings; guard?: GuardSettings }, ctx: z.RefinementCtx): void {
  for (const field of ['compare', 'guard'] as const) {
    if (manifest[field] && !manifest.service) ctx.addIssue({ code: 'custom', path: [field], message: 'needs a service: a domain without service.name has nothing to compare or guard' });
  }
  const routes = new Set(manifest.routes.map((r) => `${r.method} ${r.path}`));
  manifest.compare?.ignore.forEach((rule, i) => {
    if (rule.route && !routes.has(rule.route)) {
      ctx.addIssue({ code: 'custom', path: ['compare', 'ignore', i, 'route'], message: `"${rule.route}" is not one of this domain's routes (${[...routes].join(', ')})` });
    }
  });
}
