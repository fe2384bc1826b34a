import { describe, expect, it } from 'vitest';
import { redact } from './logger.js';

describe('redact', () => {
  it('hides secret-looking keys at any depth and keeps the rest', () => {
    expect(redact({ user: 'a', password: 'p', nested: { authorization: 'Bearer x', token: 't', ok: 1 } })).toEqual({
      user: 'a',
      password: '[redacted]',
      nested: { authorization: '[redacted]', token: '[redacted]', ok: 1 },
    });
  });

  it('keeps an error readable', () => {
    const out = redact(new Error('boom')) as { name: string; message: string };
    expect(out.name).toBe('Error');
    expect(out.message).toBe('boom');
  });
});
