import { describe, expect, it } from 'vitest';
import { parseRateRules, RateLimits } from './rate-limit.js';

describe('rate rules', () => {
  it('parse and sort the most specific rule first', () => {
    const rules = parseRateRules('/api=100/60, POST /api/orders/checkout=10/60, /api/products=50/10');
    expect(rules.map((r) => r.text)).toEqual(['POST /api/orders/checkout=10/60', '/api/products=50/10', '/api=100/60']);
  });

  it('name the rule that cannot be read', () => {
    expect(() => parseRateRules('/api=100/60,/api/cart=ten/60')).toThrow('"/api/cart=ten/60" is not a rate rule');
  });
});

describe('rate limits in memory', () => {
  it('let a client pass up to the limit, then answer with Retry-After', async () => {
    const limits = new RateLimits(parseRateRules('/api/products=2/60'), { keyPrefix: 'unit' });

    const first = await limits.check('GET', '/api/products/1', '10.0.0.1');
    await limits.check('GET', '/api/products', '10.0.0.1');
    const third = await limits.check('GET', '/api/products', '10.0.0.1');

    expect(first).toEqual({ allowed: true, headers: { 'ratelimit-limit': '2', 'ratelimit-remaining': '1', 'ratelimit-reset': '60', 'ratelimit-policy': '2;w=60' } });
    expect(third).toMatchObject({ allowed: false, headers: { 'ratelimit-remaining': '0', 'retry-after': '60' } });
  });

  it('count each client apart and leave routes without a rule alone', async () => {
    const limits = new RateLimits(parseRateRules('/api/products=1/60'), { keyPrefix: 'unit' });
    await limits.check('GET', '/api/products', 'a');

    expect(await limits.check('GET', '/api/products', 'b')).toMatchObject({ allowed: true });
    expect(await limits.check('GET', '/api/cart', 'a')).toBeUndefined();
  });
});
