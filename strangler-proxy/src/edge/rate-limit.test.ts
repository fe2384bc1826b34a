import { describe, expect, it } from 'vitest';
import { matchesRule, parsePathRule } from './path-rules.js';
import { accountKey, parseRateRules, RateLimits } from './rate-limit.js';

describe('rate rules', () => {
  it('parse and sort the most specific rule first', () => {
    const rules = parseRateRules('/api=100/60, POST /api/orders/checkout=10/60, /api/products=50/10');
    expect(rules.map((r) => r.text)).toEqual(['POST /api/orders/checkout=10/60', '/api/products=50/10', '/api=100/60']);
  });

  it('count per client address unless they say per user or per account', () => {
    const rules = parseRateRules('POST /api/auth/login=20/60, POST /api/auth/login=5/300 per account, /api=100/60 per user');
    expect(rules.map((r) => [r.text, r.per])).toEqual([
      ['POST /api/auth/login=20/60', 'ip'],
      ['POST /api/auth/login=5/300 per account', 'account'],
      ['/api=100/60 per user', 'user'],
    ]);
  });

  it('name the rule that cannot be read', () => {
    expect(() => parseRateRules('/api=100/60,/api/cart=ten/60')).toThrow('"/api/cart=ten/60" is not a rate rule');
    expect(() => parseRateRules('/api=100/60 per token')).toThrow('"/api=100/60 per token" is not a rate rule');
  });
});

describe('path rules', () => {
  it('let a GET rule cover HEAD, which is a GET without its body', () => {
    const rule = parsePathRule('GET /api/orders')!;
    expect(matchesRule(rule, 'HEAD', '/api/orders/1')).toBe(true);
    expect(matchesRule(rule, 'POST', '/api/orders/1')).toBe(false);
    expect(matchesRule(parsePathRule('HEAD /api/orders')!, 'GET', '/api/orders')).toBe(false);
  });
});

describe('rate limits in memory', () => {
  it('let a client pass up to the limit, then answer with Retry-After', async () => {
    const limits = new RateLimits(parseRateRules('/api/products=2/60'), { keyPrefix: 'unit' });

    const first = await limits.check('GET', '/api/products/1', { ip: '10.0.0.1' });
    await limits.check('GET', '/api/products', { ip: '10.0.0.1' });
    const third = await limits.check('GET', '/api/products', { ip: '10.0.0.1' });

    expect(first).toEqual({ allowed: true, headers: { 'ratelimit-limit': '2', 'ratelimit-remaining': '1', 'ratelimit-reset': '60', 'ratelimit-policy': '2;w=60' } });
    expect(third).toMatchObject({ allowed: false, headers: { 'ratelimit-remaining': '0', 'retry-after': '60' } });
  });

  it('count each client apart and leave routes without a rule alone', async () => {
    const limits = new RateLimits(parseRateRules('/api/products=1/60'), { keyPrefix: 'unit' });
    await limits.check('GET', '/api/products', { ip: 'a' });

    expect(await limits.check('GET', '/api/products', { ip: 'b' })).toMatchObject({ allowed: true });
    expect(await limits.check('GET', '/api/cart', { ip: 'a' })).toBeUndefined();
  });

  it('limit one account signed into from many addresses, each address still under its own limit', async () => {
    const limits = new RateLimits(parseRateRules('POST /api/auth/login=10/60, POST /api/auth/login=3/60 per account'), { keyPrefix: 'unit' });
    const outcomes = [];
    for (let i = 0; i < 4; i++) {
      const byAddress = await limits.check('POST', '/api/auth/login', { ip: `10.0.0.${i}` });
      const byAccount = await limits.check('POST', '/api/auth/login', { account: accountKey('Alice@Example.com ') });
      outcomes.push([byAddress?.allowed, byAccount?.allowed]);
    }
    expect(outcomes).toEqual([
      [true, true],
      [true, true],
      [true, true],
      [true, false],
    ]);
    expect(accountKey('alice@example.com')).toBe(accountKey(' ALICE@example.com'));
  });

  it('report the tightest of the rules that apply', async () => {
    const limits = new RateLimits(parseRateRules('/api=100/60, /api=100/60 per user, GET /api/products=5/60 per user'), { keyPrefix: 'unit' });
    const decision = await limits.check('GET', '/api/products', { ip: 'a', user: 'u1' });
    expect(decision?.headers['ratelimit-limit']).toBe('5');
  });
});
