import { describe, expect, it } from 'vitest';
import type { AuditRecord } from '../audit/audit-log.js';
import { ExternalChangeWatcher } from './external-changes.js';

function setup() {
  const flags = new Map([
    ['strangler.catalog', { stage: 'shadow', rollout: 100, enabled: true }],
    ['strangler.orders', { stage: 'legacy', rollout: 0, enabled: true }],
  ]);
  const checks: string[] = [];
  const failing = new Set<string>();
  const warnings: string[] = [];
  const watcher = new ExternalChangeWatcher(
    ['catalog', 'orders'],
    (flag) => flags.get(flag),
    {
      recordExternalChange: async (domain: string): Promise<AuditRecord | undefined> => {
        checks.push(domain);
        if (failing.has(domain)) throw new Error('database down');
        return undefined;
      },
    },
    { warn: (message) => warnings.push(message) },
  );
  return { watcher, flags, checks, failing, warnings };
}

describe('watching for flags changed in Unleash outside the admin API', () => {
  it('checks every domain at the first poll, then only a domain whose flag this client now holds differently', async () => {
    const { watcher, flags, checks } = setup();
    watcher.poll();
    await watcher.settled();
    watcher.poll();
    await watcher.settled();

    flags.set('strangler.catalog', { stage: 'canary', rollout: 30, enabled: true });
    watcher.poll();
    await watcher.settled();

    expect(checks).toEqual(['catalog', 'orders', 'catalog']);
  });

  it('checks a domain again at the next poll when its check failed', async () => {
    const { watcher, checks, failing, warnings } = setup();
    failing.add('orders');
    watcher.poll();
    await watcher.settled();

    failing.delete('orders');
    watcher.poll();
    await watcher.settled();
    watcher.poll();
    await watcher.settled();

    expect(checks).toEqual(['catalog', 'orders', 'orders']);
    expect(warnings).toEqual([expect.stringMatching(/could not compare Unleash with the audit log/)]);
  });
});
