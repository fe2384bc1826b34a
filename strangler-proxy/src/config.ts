import { configFields, loadConfig, tokenConfigFields } from '@strangler/platform';
import { z } from 'zod';
import { parsePathRules } from './edge/path-rules.js';
import { parseRateRules } from './edge/rate-limit.js';

/** A list setting parsed by `parse`, whose error (naming the wrong item) becomes the setting's. */
function ruleList<T>(parse: (text: string) => T[]) {
  return (text: string, ctx: z.RefinementCtx): T[] => {
    try {
      return parse(text);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: err instanceof Error ? err.message : String(err) });
      return z.NEVER;
    }
  };
}

const urlList = z
  .string()
  .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean))
  .pipe(z.array(z.url({ protocol: /^https?$/ })).min(1, 'needs at least one URL'));

export const proxyConfigSchema = z.object({
  PORT: configFields.port(8080),
  HOST: configFields.host(),
  /** Admin port: the proxy's own /healthz, /readyz and /metrics. */
  ADMIN_PORT: configFields.port(8081),
  ADMIN_HOST: configFields.host(),
  LOG_LEVEL: configFields.logLevel(),
  /** Processes serving the public port (node:cluster, ADR-0028); 1: the proxy is one process. */
  PROXY_WORKERS: z.coerce.number().int().min(1).max(64).default(1),
  MONOLITH_NAME: z.string().default('legacy-monolith'),
  MONOLITH_URLS: urlList.default(['http://127.0.0.1:3000']),
  MONOLITH_HEALTH_PATH: z.string().startsWith('/').default('/healthz'),
  /** Folder of the domain manifests; the @strangler/manifests folder by default. */
  MANIFEST_DIR: z.string().optional(),
  /**
   * Where each extracted service runs in this environment, overriding its manifest's `service.urls`:
   * `catalog-service=http://10.0.0.5:4101|http://10.0.0.6:4101,orders-service=http://...`.
   */
  SERVICE_URLS: z
    .string()
    .default('')
    .transform((v, ctx) => {
      const urls = new Map<string, string[]>();
      for (const entry of v.split(',').map((s) => s.trim()).filter(Boolean)) {
        const match = /^([a-z][a-z0-9-]*)=(.+)$/.exec(entry);
        const list = match ? match[2]!.split('|').map((u) => u.trim()) : [];
        if (!match || list.some((u) => !/^https?:\/\/[^\s|]+$/.test(u) || !URL.canParse(u))) {
          ctx.addIssue({ code: 'custom', message: `"${entry}" is not service=url (several URLs separated by |), e.g. catalog-service=http://127.0.0.1:4101` });
          return z.NEVER;
        }
        urls.set(match[1]!, list);
      }
      return urls;
    }),
  UNLEASH_URL: z.url().default('http://127.0.0.1:4242'),
  UNLEASH_CLIENT_TOKEN: z.string({ message: 'is required (a backend token such as default:development.<secret>)' }).min(1),
  /** When set, the proxy creates missing flags from the manifests at start-up. */
  UNLEASH_ADMIN_TOKEN: z.string().min(1).optional(),
  UNLEASH_REFRESH_MS: z.coerce.number().int().min(100).default(1000),
  UNLEASH_BACKUP_DIR: z.string().default('.stack/proxy/unleash-backup'),
  /**
   * The public key (PEM) of the monolith's ES256 access tokens: the edge checks tokens with it, and a
   * JWT subject is used for stickiness only when its token verifies. The proxy never holds a signing key.
   */
  JWT_PUBLIC_KEY: tokenConfigFields.publicKey().optional(),
  /** The admin API's token (audit actor `admin`); the admin API answers 503 without any token. */
  ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  /** Named admin tokens, `ana=<token>,bo=<token>`: the name is the actor in the audit log. */
  ADMIN_TOKENS: z
    .string()
    .regex(/^\s*[A-Za-z0-9._@-]+=[^,=\s]{16,}\s*(,\s*[A-Za-z0-9._@-]+=[^,=\s]{16,}\s*)*$/, 'must be name=token pairs separated by commas (tokens of 16+ characters)')
    .optional(),
  /** The proxy's own database (audit log); flips are refused without it. */
  PROXY_DATABASE_URL: configFields.postgresUrl().optional(),
  /** Issuer and audience of the monolith's access tokens (both checked at the edge, as `exp` is). */
  JWT_ISSUER: tokenConfigFields.issuer(),
  JWT_AUDIENCE: tokenConfigFields.audience(),
  /** Routes that need a valid access token at the edge, e.g. `/api/cart,/api/orders,POST /api/products` (needs JWT_PUBLIC_KEY). */
  EDGE_AUTH_ROUTES: z.string().default('').transform(ruleList(parsePathRules)),
  /**
   * Per-client limits per route, e.g. `/api=300/60,POST /api/auth/login=5/60 per account`
   * (requests/seconds, counted per client address unless `per user` or `per account` says otherwise).
   */
  RATE_LIMITS: z.string().default('').transform(ruleList(parseRateRules)),
  /**
   * Paths of the upstreams that are never reachable through the stable URL (operational endpoints;
   * they stay on the services' own ports and the admin port). Answered 404 at the edge.
   */
  BLOCKED_PATHS: z.string().default('/metrics,/readyz,/healthz,/livez,/cdc,/internal').transform(ruleList(parsePathRules)),
  /** Shared rate-limit counters for several proxy instances; in memory per instance when unset. */
  REDIS_URL: z.url({ protocol: /^rediss?$/ }).optional(),
  RATE_LIMIT_PREFIX: z.string().min(1).default('strangler-proxy:rl'),
  /**
   * Signs the consistency tokens (ADR-0021). Every proxy instance behind one URL needs the same
   * value; when unset each process draws its own, so a token holds only on the instance that issued it.
   */
  CONSISTENCY_TOKEN_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  /**
   * The token of the services' control API (`/internal/...`, SERVICE_CONTROL_TOKEN of the service): a
   * cutover (new ⇄ owned) moves the domain's ownership with it (ADR-0025).
   */
  SERVICE_CONTROL_TOKEN: z.string().min(24, 'must be at least 24 characters (the SERVICE_CONTROL_TOKEN of the services)').optional(),
  /** How long a write of a domain waits at a cutover's fence before a 503 with Retry-After. */
  FENCE_HOLD_MS: z.coerce.number().int().min(0).max(30_000).default(2_000),
  /**
   * The most writes of one ownable domain a proxy instance forwards at once; more wait their turn in
   * the proxy, in order (up to FENCE_HOLD_MS, then 503 writes_at_limit). A cutover's fence waits for
   * the writes in flight only, so this bounds its drain under overload (ADR-0038).
   */
  FENCE_MAX_WRITES_IN_FLIGHT: z.coerce.number().int().min(1).max(10_000).default(16),
  /** How long a cutover waits for the writes in flight to finish when it raises the fence. */
  CUTOVER_DRAIN_MS: z.coerce.number().int().min(100).max(60_000).default(5_000),
  /** How long each waiting step of a cutover (watermark, reverse sync) may take before it is refused and undone. */
  CUTOVER_STEP_TIMEOUT_MS: z.coerce.number().int().min(100).max(300_000).default(10_000),
  UPSTREAM_TIMEOUT_MS: z.coerce.number().int().min(1).default(10_000),
  UPSTREAM_MAX_SOCKETS: z.coerce.number().int().min(1).default(256),
  HEALTH_INTERVAL_MS: z.coerce.number().int().min(100).default(2000),
  BREAKER_ERROR_PERCENT: z.coerce.number().min(1).max(100).default(50),
  BREAKER_RESET_MS: z.coerce.number().int().min(100).default(5000),
  BREAKER_VOLUME: z.coerce.number().int().min(1).default(5),
  RETRY_AFTER_SECONDS: z.coerce.number().int().min(1).default(5),
  MAX_HEADER_BYTES: z.coerce.number().int().min(1024).default(16 * 1024),
  /** Request bodies are read whole (up to this size) before an upstream connection is taken. */
  MAX_BODY_BYTES: z.coerce.number().int().min(1).max(64 * 1024 * 1024).default(1024 * 1024),
  /** How long a client may take to send its request body; 408 past it. */
  BODY_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
  /** How long a request may wait for a free upstream connection (UPSTREAM_MAX_SOCKETS in use); 503 past it. */
  UPSTREAM_QUEUE_TIMEOUT_MS: z.coerce.number().int().min(1).default(1000),
  /**
   * Open connections allowed from one client address; further ones are answered 503 and closed.
   * Generous by default: many users can share one address (NAT, a corporate proxy).
   */
  MAX_CONNECTIONS_PER_CLIENT: z.coerce.number().int().min(1).default(512),
  /** Shadow copies: their own connections to each service and a cap on copies in flight (excess copies are dropped and counted). */
  SHADOW_MAX_SOCKETS: z.coerce.number().int().min(1).default(16),
  SHADOW_MAX_IN_FLIGHT: z.coerce.number().int().min(1).default(64),
  /** Alerts (guard breach, automatic rollback, CDC lag) are POSTed here as JSON, with retries; log and counter only when unset (ADR-0023). */
  ALERT_WEBHOOK_URL: z.url({ protocol: /^https?$/ }).optional(),
  ALERT_WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(2000),
  /** A service's CDC watermark lag over this raises an alert (once, until it is back under). */
  ALERT_CDC_LAG_MS: z.coerce.number().int().min(100).default(30_000),
  /** How often answer comparisons are written to the proxy's database (and noise found by other proxies read). */
  COMPARE_FLUSH_MS: z.coerce.number().int().min(100).max(60_000).default(2000),
}).superRefine((config, ctx) => {
  // Checked with the rest of the settings, before anything starts (not once Unleash has been asked).
  if (config.EDGE_AUTH_ROUTES.length && !config.JWT_PUBLIC_KEY) {
    ctx.addIssue({ code: 'custom', path: ['EDGE_AUTH_ROUTES'], message: 'needs JWT_PUBLIC_KEY to verify access tokens' });
  }
});

export type ProxyConfig = z.output<typeof proxyConfigSchema>;

export function loadProxyConfig(env: Record<string, unknown> = process.env): ProxyConfig {
  return loadConfig(proxyConfigSchema, env);
}
