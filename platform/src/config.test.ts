import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, configFields, loadConfig } from './config.js';

const schema = z.object({ PORT: configFields.port(3000), DATABASE_URL: configFields.postgresUrl() });

describe('loadConfig', () => {
  it('applies defaults and coerces numbers', () => {
    expect(loadConfig(schema, { DATABASE_URL: 'postgresql://u@h/db' })).toEqual({ PORT: 3000, DATABASE_URL: 'postgresql://u@h/db' });
  });

  it('names the source, every bad field and why', () => {
    let error: unknown;
    try {
      loadConfig(schema, { PORT: '99999', DATABASE_URL: 'mysql://x' }, 'monolith environment');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect(message).toContain('Invalid configuration in monolith environment');
    expect(message).toMatch(/PORT: .*65535/);
    expect(message).toContain('DATABASE_URL: must be a postgresql:// URL');
  });

  it('says what a missing required field should be', () => {
    expect(() => loadConfig(schema, {})).toThrow(/DATABASE_URL: is required \(a postgresql:\/\/ connection URL\)/);
  });
});
