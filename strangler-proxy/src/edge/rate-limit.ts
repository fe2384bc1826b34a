import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { matchesRule, parsePathRule, type PathRule } from './path-rules.js';

/**
 * Who a rule counts: `ip` the client address (the default: it cannot be chosen by the client),
 * `user` the verified token subject (the address when there is none), `account` the account a
 * sign-in names (`email` in its JSON body), so that guessing one account's password from many
 * addresses is limited too.
 */
export type RateKind = 'ip' | 'user' | 'account';

/** `POST /api/auth/login=5/60 per account`: at most 5 requests per account per 60 s on that route. */
export interface RateRule extends PathRule {
  points: number;
  durationSeconds: number;
  per: RateKind;
  text: string;
}

const LIMIT = /^(.*?)=(\d+)\/(\d+)(?:\s+per\s+(ip|user|account))?$/;

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
      if (!rule || !(points > 0) || !(durationSeconds > 0)) {
        throw new Error(`"${item}" is not a rate rule such as "/api=100/60", "POST /api/orders/checkout=10/60" or "POST /api/auth/login=5/60 per account"`);
      }
      return { ...rule, points, durationSeconds, per: (match![4] ?? 'ip') as RateKind, text: item };
    })
    // The most specific rule wins: a method-bound rule before a method-free one, then the longest prefix.
    .sort((a, b) => Number(Boolean(b.method)) - Number(Boolean(a.method)) || b.prefix.length - a.prefix.length);
}

export interface RateDecision {
  allowed: boolean;
  /** RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset (IETF draft), and Retry-After when refused. */
  headers: Record<string, string>;
}

/** The client's keys for this request; a rule whose kind has no key here is not checked. */
export type RateKeys = Partial<Record<RateKind, string>>;

/** Account names are hashed before they become counter keys: no e-mail address is stored in Redis. */
export function accountKey(account: string): string {
  return createHash('sha256').update(account.trim().toLowerCase()).digest('base64url').slice(0, 22);
}

/**
 * Per-client limits per route: for each kind (`ip`, `user`, `account`) the most specific matching
 * rule counts. With a Redis client the counters are shared by every proxy instance (a memory
 * limiter stands in while Redis is unreachable); without one, each instance counts in memory.
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

  /** Whether a rule of this kind could apply to the route (so the caller knows to find the key). */
  covers(kind: RateKind, method: string, lowerPath: string): boolean {
    return this.limiters.some((l) => l.rule.per === kind && matchesRule(l.rule, method, lowerPath));
  }

  /**
   * Undefined when no rule with a key covers the route; else whether this client may pass, with the
   * headers of the tightest rule (the refusing one when refused).
   */
  async check(method: string, lowerPath: string, keys: RateKeys): Promise<RateDecision | undefined> {
    const applicable: { rule: RateRule; limiter: RateLimiterAbstract; key: string }[] = [];
    const seen = new Set<RateKind>();
    for (const l of this.limiters) {
      const key = keys[l.rule.per];
      if (key === undefined || seen.has(l.rule.per) || !matchesRule(l.rule, method, lowerPath)) continue;
      seen.add(l.rule.per);
      applicable.push({ ...l, key: `${l.rule.per}:${key}` });
    }
    if (!applicable.length) return undefined;
    let tightest: RateDecision | undefined;
    let tightestRemaining = Infinity;
    for (const { rule, limiter, key } of applicable) {
      let res: RateLimiterRes;
      let allowed = true;
      try {
        res = await limiter.consume(key);
      } catch (err) {
        if (!(err instanceof RateLimiterRes)) throw err;
        res = err;
        allowed = false;
      }
      const decision = { allowed, headers: headersOf(rule, res, allowed) };
      if (!allowed) return decision;
      if (res.remainingPoints < tightestRemaining) {
        tightest = decision;
        tightestRemaining = res.remainingPoints;
      }
    }
    return tightest;
  }
}

function headersOf(rule: RateRule, res: RateLimiterRes, allowed: boolean): Record<string, string> {
  const reset = String(Math.max(1, Math.ceil(res.msBeforeNext / 1000)));
  const headers: Record<string, string> = {
    'ratelimit-limit': String(rule.points),
    'ratelimit-remaining': String(Math.max(0, res.remainingPoints)),
    'ratelimit-reset': reset,
    'ratelimit-policy': `${rule.points};w=${rule.durationSeconds}`,
  };
  if (!allowed) headers['retry-after'] = reset;
  return headers;
}
