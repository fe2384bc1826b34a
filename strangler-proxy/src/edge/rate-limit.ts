import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { matchesRule, parsePathRule, type PathRule } from './path-rules.js';

/** `POST /api/orders/checkout=10/60`: at most 10 requests per client per 60 s on that route. */
export interface RateRule extends PathRule {
  points: number;
  durationSeconds: number;
  text: string;
}

const LIMIT = /^(.*?)=(\d+)\/(\d+)$/;

/** Parses `RATE_LIMITS`: comma-separated rules; throws with the rule that is wrong. */
export function parseRateRules(text: string): RateRule[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((item) => {
      const match = LIMIT.exec(item);
      const rule = match ? parsePathRule(match[1]!) : undefined;
      const points = Number(match?.[2]);
      const durationSeconds = Number(match?.[3]);
      if (!rule || !(points > 0) || !(durationSeconds > 0)) throw new Error(`"${item}" is not a rate rule such as "/api=100/60" or "POST /api/orders/checkout=10/60"`);
      return { ...rule, points, durationSeconds, text: item };
    })
    // The most specific rule wins: a method-bound rule before a method-free one, then the longest prefix.
    .sort((a, b) => Number(Boolean(b.method)) - Number(Boolean(a.method)) || b.prefix.length - a.prefix.length);
}

export interface RateDecision {
  allowed: boolean;
  /** RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset (IETF draft), and Retry-After when refused. */
  headers: Record<string, string>;
}

/**
 * Per-client limits per route. With a Redis client the counters are shared by every proxy
 * instance (a memory limiter stands in while Redis is unreachable); without one, each instance
 * counts in memory.
 */
export class RateLimits {
  private readonly limiters: { rule: RateRule; limiter: RateLimiterAbstract }[];

  constructor(rules: RateRule[], options: { redis?: Redis; keyPrefix: string }) {
    this.limiters = rules.map((rule, index) => {
      const settings = { points: rule.points, duration: rule.durationSeconds, keyPrefix: `${options.keyPrefix}:${index}` };
      const memory = new RateLimiterMemory(settings);
      const limiter = options.redis ? new RateLimiterRedis({ ...settings, storeClient: options.redis, insuranceLimiter: memory, rejectIfRedisNotReady: true }) : memory;
      return { rule, limiter };
    });
  }

  get active(): boolean {
    return this.limiters.length > 0;
  }

  /** Undefined when no rule covers the route; else whether this client may pass, with the headers to send. */
  async check(method: string, path: string, client: string): Promise<RateDecision | undefined> {
    const found = this.limiters.find((l) => matchesRule(l.rule, method, path));
    if (!found) return undefined;
    const headersOf = (res: RateLimiterRes, allowed: boolean) => {
      const reset = String(Math.max(1, Math.ceil(res.msBeforeNext / 1000)));
      const headers: Record<string, string> = {
        'ratelimit-limit': String(found.rule.points),
        'ratelimit-remaining': String(Math.max(0, res.remainingPoints)),
        'ratelimit-reset': reset,
        'ratelimit-policy': `${found.rule.points};w=${found.rule.durationSeconds}`,
      };
      if (!allowed) headers['retry-after'] = reset;
      return headers;
    };
    try {
      const res = await found.limiter.consume(client);
      return { allowed: true, headers: headersOf(res, true) };
    } catch (err) {
      if (err instanceof RateLimiterRes) return { allowed: false, headers: headersOf(err, false) };
      throw err;
    }
  }
}
