import { describe, expect, it } from 'vitest';
import { CardSchema, isExpired, last4, passesLuhn } from './card.js';

describe('card rules', () => {
  it('accepts Luhn-valid numbers, including the documented test cards', () => {
    for (const n of ['4242424242424242', '4000000000000002', '4000000000009995', '5555555555554444', '378282246310005']) expect(passesLuhn(n), n).toBe(true);
  });

  it('rejects a number whose checksum digit is wrong, and anything that is not digits', () => {
    for (const n of ['4242424242424241', '4000000000000001', '', '4242 4242 4242 4242', '42424242424242a2']) expect(passesLuhn(n), n).toBe(false);
  });

  it('treats a card as valid through the end of its expiry month (UTC)', () => {
    const now = new Date('2026-11-30T23:59:59Z');
    expect(isExpired({ expMonth: 11, expYear: 2026 }, now)).toBe(false);
    expect(isExpired({ expMonth: 10, expYear: 2026 }, now)).toBe(true);
    expect(isExpired({ expMonth: 12, expYear: 2025 }, now)).toBe(true);
    expect(isExpired({ expMonth: 1, expYear: 2027 }, now)).toBe(false);
  });

  it('keeps only the last four digits', () => {
    expect(last4('4242424242424242')).toBe('4242');
  });

  it('names card.number when the schema rejects a number that fails the Luhn check', () => {
    const result = CardSchema.safeParse({ number: '4242424242424241', expMonth: 1, expYear: 2030, cvc: '123' });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.path.join('.'))).toEqual(['number']);
  });
});
