import { describe, expect, it } from 'vitest';
import { migrationMap } from './migration-map.js';
import type { DomainStatus, ProxyStatus } from './status.js';

const split = { requests: 0, new: 0, legacy: 0, shadow: 0, newPercent: 0, legacyPercent: 0 };
function domain(name: string, stage: string, routes: [string, string, number][], lastHour: { new: number; legacy: number }): DomainStatus {
  return {
    domain: name,
    service: stage === 'legacy' ? null : `${name}-service`,
    adr: 18,
    flag: `strangler.${name}`,
    stage,
    percentage: stage === 'canary' ? 50 : 0,
    routes: routes.map(([method, path, newPercent]) => ({ method, path, override: null, newPercent })),
    split,
    lastHour: { requests: lastHour.new + lastHour.legacy, ...lastHour },
    targets: [],
  };
}

describe('the migration map', () => {
  const status: ProxyStatus = {
    domains: [
      domain('catalog', 'canary', [['GET', '/api/products', 50], ['POST', '/api/products', 0]], { new: 30, legacy: 50 }),
      domain('users', 'legacy', [['POST', '/api/auth/login', 0], ['GET', '/api/users/me', 0]], { new: 0, legacy: 100 }),
    ],
    monolith: [],
    unclaimed: [{ method: 'GET', path: '/healthz', lastMinute: 1, lastHour: 20 }],
  };

  it('counts a canary route by its percentage in the share of routes served by new services', () => {
    expect(migrationMap(status).progress.routes).toEqual({ total: 4, new: 0.5, percent: 12.5 });
  });

  it("counts the last hour's requests, unclaimed ones included, in the share served by new services", () => {
    expect(migrationMap(status).progress.requests).toEqual({ total: 200, new: 30, percent: 15 });
  });

  it("gives each domain its share of the last hour's requests", () => {
    expect(migrationMap(status).domains.map((d) => [d.domain, d.lastHour.sharePercent])).toEqual([
      ['catalog', 40],
      ['users', 50],
    ]);
  });

  it('is all zeros without traffic or routes', () => {
    expect(migrationMap({ domains: [], monolith: [], unclaimed: [] }).progress).toEqual({ routes: { total: 0, new: 0, percent: 0 }, requests: { total: 0, new: 0, percent: 0 } });
  });
});
