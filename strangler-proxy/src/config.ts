import { configFields, loadConfig } from '@strangler/platform';
import { z } from 'zod';

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
  LOG_LEVEL: z.string().default('info'),
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
  /** HS256 secret of the monolith's access tokens: the JWT subject is trusted for stickiness only when it verifies. */
  JWT_SECRET: z.string().min(1).optional(),
  /** The admin API's token (audit actor `admin`); the admin API answers 503 without any token. */
  ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  /** Named admin tokens, `ana=<token>,bo=<token>`: the name is the actor in the audit log. */
  ADMIN_TOKENS: z
    .string()
    .regex(/^\s*[A-Za-z0-9._@-]+=[^,=\s]{16,}\s*(,\s*[A-Za-z0-9._@-]+=[^,=\s]{16,}\s*)*$/, 'must be name=token pairs separated by commas (tokens of 16+ characters)')
    .optional(),
  /** The proxy's own database (audit log); flips are refused without it. */
  PROXY_DATABASE_URL: configFields.postgresUrl().optional(),
  /** Issuer of the monolith's access tokens (checked at the edge). */
  JWT_ISSUER: z.string().min(1).default('legacy-monolith'),
  /** Routes that need a valid access token at the edge, e.g. `/api/cart,/api/orders,POST /api/products` (needs JWT_SECRET). */
  EDGE_AUTH_ROUTES: z.string().default(''),
  /** Per-client limits per route, e.g. `/api=300/60,POST /api/orders/checkout=10/60` (requests/seconds). */
  RATE_LIMITS: z.string().default(''),
  /** Shared rate-limit counters for several proxy instances; in memory per instance when unset. */
  REDIS_URL: z.url({ protocol: /^rediss?$/ }).optional(),
  RATE_LIMIT_PREFIX: z.string().min(1).default('strangler-proxy:rl'),
  /**
   * Signs the consistency tokens (ADR-0016). Every proxy instance behind one URL needs the same
   * value; when unset each process draws its own, so a token holds only on the instance that issued it.
   */
  CONSISTENCY_TOKEN_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  UPSTREAM_TIMEOUT_MS: z.coerce.number().int().min(1).default(10_000),
  UPSTREAM_MAX_SOCKETS: z.coerce.number().int().min(1).default(256),
  HEALTH_INTERVAL_MS: z.coerce.number().int().min(100).default(2000),
  BREAKER_ERROR_PERCENT: z.coerce.number().min(1).max(100).default(50),
  BREAKER_RESET_MS: z.coerce.number().int().min(100).default(5000),
  BREAKER_VOLUME: z.coerce.number().int().min(1).default(5),
  RETRY_AFTER_SECONDS: z.coerce.number().int().min(1).default(5),
  MAX_HEADER_BYTES: z.coerce.number().int().min(1024).default(16 * 1024),
  MAX_BODY_BYTES: z.coerce.number().int().min(1).default(1024 * 1024),
});

export type ProxyConfig = z.output<typeof proxyConfigSchema>;

export function loadProxyConfig(env: Record<string, unknown> = process.env): ProxyConfig {
  return loadConfig(proxyConfigSchema, env);
}
