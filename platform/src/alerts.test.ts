import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { Alerts } from './alerts.js';
import { createLogger } from './logger.js';

function silentLogger() {
  const logger = createLogger('test', 'debug');
  for (const t of logger.transports) t.silent = true;
  const lines: Record<string, unknown>[] = [];
  logger.on('data', (info: Record<string, unknown>) => lines.push(info));
  return { logger, lines };
}

describe('raising an alert', () => {
  it('logs an error line, counts it, and POSTs it to the webhook, retrying a failed delivery', async () => {
    const { logger, lines } = silentLogger();
    const registry = new Registry();
    const posts: unknown[] = [];
    let failures = 1;
    const fetchImpl = (async (_url: string, init: RequestInit) => {
      posts.push(JSON.parse(String(init.body)));
      if (failures-- > 0) return new Response('no', { status: 503 });
      return new Response('ok');
    }) as unknown as typeof fetch;
    const alerts = new Alerts({ service: 'strangler-proxy', logger, registry, webhookUrl: 'http://hook.invalid/x', fetchImpl });

    alerts.raise({ kind: 'guard_breach', summary: 'guard of catalog breached', details: { domain: 'catalog', errorRate: 0.5 } });
    await alerts.settled();

    expect(lines).toContainEqual(expect.objectContaining({ level: 'error', message: 'alert: guard of catalog breached', alert: 'guard_breach', domain: 'catalog' }));
    expect(await registry.getSingleMetricAsString('strangler_alerts_total')).toMatch(/kind="guard_breach"} 1/);
    expect(posts).toHaveLength(2);
    expect(posts[1]).toMatchObject({ kind: 'guard_breach', service: 'strangler-proxy', details: { errorRate: 0.5 } });
  });

  it('returns at once and never throws when the webhook is down', async () => {
    const { logger, lines } = silentLogger();
    const fetchImpl = (async () => {
      throw new Error('ECONNREFUSED');
    }) as unknown as typeof fetch;
    const alerts = new Alerts({ service: 's', logger, registry: new Registry(), webhookUrl: 'http://hook.invalid/x', retries: 1, fetchImpl });
    expect(() => alerts.raise({ kind: 'cdc_lag', summary: 'lag', details: {} })).not.toThrow();
    await alerts.settled();
    expect(lines).toContainEqual(expect.objectContaining({ level: 'warn', alert: 'cdc_lag', attempts: 2, detail: 'ECONNREFUSED' }));
  });
});
