import { describe, expect, it } from 'vitest';
import { createLogger, redact } from './logger.js';

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

  it('never logs a secret however deep it is nested: past the depth limit the value is cut off', () => {
    let deep: Record<string, unknown> = { password: 'hunter2-deep' };
    for (let i = 0; i < 10; i += 1) deep = { level: i, inner: deep };
    expect(JSON.stringify(redact(deep))).not.toContain('hunter2-deep');
  });
});

describe('createLogger', () => {
  it('on an unknown level still logs errors (the configuration error that names LOG_LEVEL must be seen)', () => {
    const logger = createLogger('test', 'loud');
    expect(logger.level).toBe('info');
    expect(logger.isLevelEnabled('error')).toBe(true);
  });
});
