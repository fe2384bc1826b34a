import { z } from 'zod';
import { checkCompareRoutes, compareSchema, guardSchema } from './guard-schema.js';

export const STAGES = ['legacy', 'shadow', 'canary', 'new', 'owned'] as const;
export type Stage = (typeof STAGES)[number];

export const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

const kebab = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
/** `/api/products/:id`: literal segments of URL-safe characters, or `:name` parameters. */
const PATH_TEMPLATE = /^\/$|^(\/([A-Za-z0-9._~-]+|:[A-Za-z][A-Za-z0-9_]*))+$/;
/** `schema.table`, lower-case as PostgreSQL folds unquoted names. */
const TABLE = /^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*$/;

export const stageSchema = z.enum(STAGES);

/**
 * The stages a domain may take, in the order of STAGES. A domain whose new service cannot yet
 * take a stage (owned needs the reverse sync) leaves it out, and flips to it are refused.
 */
export const stagesSchema = z
  .array(stageSchema)
  .refine((list) => list.every((stage, i) => i === 0 || STAGES.indexOf(list[i - 1]!) < STAGES.indexOf(stage)), `must list each stage once, in the order ${STAGES.join(', ')}`)
  .refine((list) => list.includes('legacy'), 'must include legacy: every domain must be able to go back to the monolith');

export const routeSchema = z
  .object({
    method: z.enum(METHODS),
    path: z
      .string()
      .regex(PATH_TEMPLATE, 'must be a path template such as /api/products/:id (segments of letters, digits, . _ ~ - or :param)')
      .refine((p) => !p.split('/').some((s) => s === '.' || s === '..'), 'must not contain . or .. segments')
      .refine((p) => !p.split('/').some((s) => !s.startsWith(':') && s.endsWith('.')), 'must not have a segment ending in a dot')
      .refine((p) => p === '/' || !p.endsWith('/'), 'must not end with a slash')
      .refine((p) => {
        const names = p.split('/').filter((s) => s.startsWith(':'));
        return new Set(names).size === names.length;
      }, 'must not repeat a parameter name'),
    /** A per-route stage that overrides the domain's stage. */
    stage: stageSchema.optional(),
    percentage: z.number().int().min(0).max(100).optional(),
  })
  .strict();

export const manifestSchema = z
  .object({
    domain: z.string().regex(kebab, 'must be kebab-case, e.g. catalog or order-history'),
    description: z.string().optional(),
    /** Number of the ADR that justifies this domain's extraction (docs/adr/NNNN-*.md). */
    adr: z.number().int().positive(),
    /**
     * The extracted service that takes the domain over. A domain not extracted yet has none: it
     * stays at `legacy` (its manifest still claims its routes, so the map knows what is left).
     */
    service: z
      .object({
        name: z.string().regex(kebab, 'must be kebab-case, e.g. catalog-service'),
        urls: z.array(z.url({ protocol: /^https?$/ })).min(1, 'needs at least one base URL'),
        healthPath: z.string().startsWith('/').default('/healthz'),
      })
      .strict()
      .optional(),
    /** The stages this domain may be flipped to; all of them by default, only legacy without a service. */
    stages: stagesSchema.optional(),
    stage: stageSchema.default('legacy'),
    /** Share of users (sticky) served by the new service when the stage is `canary`. */
    percentage: z.number().int().min(0).max(100).default(0),
    /** The monolith routes this domain claims (method + path template); each route is claimed by one domain. */
    routes: z.array(routeSchema).default([]),
    capture: z
      .object({ tables: z.array(z.string().regex(TABLE, 'must be schema.table, e.g. public.products')).default([]) })
      .strict()
      .default({ tables: [] }),
    /**
     * The domain's events (docs/adr/0022): the service's transactional outbox table, in the service's
     * own database, that the CDC bootstrap captures with Debezium's outbox event router into the topic
     * `<topic prefix>.<topic>` (e.g. `monolith.catalog.events`).
     */
    events: z
      .object({
        table: z.string().regex(TABLE, 'must be schema.table, e.g. public.outbox_events'),
        topic: z.string().regex(/^[a-z][a-z0-9_-]*(\.[a-z0-9_-]+)*$/, 'must be a topic name of lower-case words joined by dots, e.g. catalog.events'),
      })
      .strict()
      .optional(),
    /**
     * The largest watermark lag (ms) of the service at which a flip to canary, new or owned is
     * allowed without --force (ADR-0021). Applies when the domain captures tables.
     */
    maxLagMs: z.number().int().min(0, 'must be 0 or more milliseconds').max(3_600_000, 'must be at most an hour (3600000)').default(2000),
    /** How long a read after the client's own write may wait for the service's watermark before the monolith serves it. */
    readYourWrites: z
      .object({ waitMs: z.number().int().min(0, 'must be 0 or more milliseconds').max(10_000, 'must be at most 10000 ms').default(500) })
      .strict()
      .default({ waitMs: 500 }),
    /** Answer comparison and its ignore rules (ADR-0023). */
    compare: compareSchema.optional(),
    /** A guarded rollout: automatic rollback (and canary promotion) on measured limits (ADR-0023). */
    guard: guardSchema.optional(),
  })
  .strict()
  .transform((manifest) => ({ ...manifest, stages: manifest.stages ?? (manifest.service ? [...STAGES] : (['legacy'] as Stage[])) }))
  .superRefine((manifest, ctx) => {
    if (!manifest.service) {
      const beyond = manifest.stages.find((stage) => stage !== 'legacy');
      if (beyond) ctx.addIssue({ code: 'custom', path: ['stages'], message: `${beyond} needs a service: a domain without service.name can only be at legacy` });
    } else if (manifest.routes.length === 0) {
      // A domain without a service may have no HTTP route of its own (payments is called in-process by checkout).
      ctx.addIssue({ code: 'custom', path: ['routes'], message: `needs at least one route: ${manifest.service.name} must take some route over` });
    }
    if (manifest.events && !manifest.service) {
      ctx.addIssue({ code: 'custom', path: ['events'], message: 'needs a service: the outbox is in the database of the service named by service.name' });
    }
    const notAllowed = (stage: Stage) => `${stage} is not in stages (${manifest.stages.join(', ')})`;
    if (!manifest.stages.includes(manifest.stage)) ctx.addIssue({ code: 'custom', path: ['stage'], message: notAllowed(manifest.stage) });
    checkCompareRoutes(manifest, ctx);
    manifest.routes.forEach((route, i) => {
      if (route.stage && !manifest.stages.includes(route.stage)) ctx.addIssue({ code: 'custom', path: ['routes', i, 'stage'], message: notAllowed(route.stage) });
    });
  });

export type Manifest = z.output<typeof manifestSchema>;

/** `services.yaml`: the services a manifest may name (the monolith and every extracted service). */
export const servicesSchema = z
  .object({
    services: z.array(z.string().regex(kebab, 'must be kebab-case, e.g. catalog-service')).min(1, 'needs at least one service'),
  })
  .strict();
export type ServiceRegistry = z.output<typeof servicesSchema>;
export type RouteSpec = z.output<typeof routeSchema>;
