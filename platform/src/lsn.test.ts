import { describe, expect, it } from 'vitest';
import { formatLsn, parseLsn } from './lsn.js';

describe('LSNs', () => {
  it('reads and writes PostgreSQL’s notation', () => {
    expect(parseLsn('16/B374D848')).toBe(0x16b374d848n);
    expect(formatLsn(0x16b374d848n)).toBe('16/B374D848');
    expect(parseLsn(formatLsn(0xffffffffffffffffn))).toBe(0xffffffffffffffffn);
  });

  it.each(['', '16', '16/', '/1', 'G/1', '123456789/1', '1/2/3', ' 1/2'])('refuses %j', (text) => {
    expect(parseLsn(text)).toBeUndefined();
  });
});
