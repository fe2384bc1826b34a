import { Counter, type Registry } from 'prom-client';
import type { Logger } from './logger.js';

/**
 * The conditions that wake someone up (ADR-0023). Each raises a log line at error level, a counter,
 * and a POST to the webhook when one is configured.
 */
export type AlertKind = 'automatic_rollback' | 'guard_breach' | 'projection_dead_letter' | 'cdc_lag';

export interface Alert {
  kind: AlertKind;
  /** One sentence for a person. */
  summary: string;
  /** Structured facts: domain, measured values, window, topic... */
  details: Record<string, unknown>;
}

export interface AlertSink {
  raise(alert: Alert): void;
}

export interface AlertsOptions {
  service: string;
  logger: Logger;
  registry: Registry;
  /** Where alerts are POSTed as JSON; none: log and counter only. */
  webhookUrl?: string;
  /** Per attempt. */
  timeoutMs?: number;
  /** Attempts after the first, with doubling back-off. */
  retries?: number;
  /** Alerts waiting for the webhook past this are dropped (and counted): a dead webhook must not hold memory. */
  maxQueued?: number;
  fetchImpl?: typeof fetch;
}

/**
 * Raises alerts: a structured error line, `strangler_alerts_total{kind}`, and, when a webhook URL is
 * configured, a POST with retries and a timeout. Delivery runs in the background: `raise` returns at
 * once and never throws, so routing never waits for (or fails with) the webhook.
 */
export class Alerts implements AlertSink {
  private readonly raised: Counter<'kind'>;
  private readonly deliveries: Counter<'outcome'>;
  private queued = 0;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly options: AlertsOptions) {
    this.raised = new Counter({ name: 'strangler_alerts_total', help: 'Alerts raised, by kind', labelNames: ['kind'] as const, registers: [options.registry] });
    this.deliveries = new Counter({
      name: 'strangler_alert_webhook_deliveries_total',
      help: 'Alert webhook deliveries, by outcome (delivered, failed after retries, dropped over the queue limit)',
      labelNames: ['outcome'] as const,
      registers: [options.registry],
    });
  }

  raise(alert: Alert): void {
    this.raised.inc({ kind: alert.kind });
    this.options.logger.error(`alert: ${alert.summary}`, { alert: alert.kind, ...alert.details });
    if (!this.options.webhookUrl) return;
    if (this.queued >= (this.options.maxQueued ?? 100)) {
      this.deliveries.inc({ outcome: 'dropped' });
      return;
    }
    this.queued++;
    const delivery = this.deliver({ ...alert, service: this.options.service, at: new Date().toISOString() }).finally(() => {
      this.queued--;
      this.inFlight.delete(delivery);
    });
    this.inFlight.add(delivery);
  }

  private async deliver(payload: Alert & { service: string; at: string }): Promise<void> {
    const { webhookUrl, timeoutMs = 2000, retries = 3 } = this.options;
    const doFetch = this.options.fetchImpl ?? fetch;
    let lastError = '';
    for (let attempt = 0; attempt <= retries; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, 200 * 2 ** (attempt - 1)).unref());
      try {
        const response = await doFetch(webhookUrl!, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(payload),
          signal: AbortSignal.timeout(timeoutMs),
        });
        await response.arrayBuffer().catch(() => undefined);
        if (response.ok) {
          this.deliveries.inc({ outcome: 'delivered' });
          return;
        }
        lastError = `answered ${response.status}`;
      } catch (err) {
        lastError = err instanceof Error ? err.message : String(err);
      }
    }
    this.deliveries.inc({ outcome: 'failed' });
    this.options.logger.warn('alert webhook unreachable; the alert stays in the log and the counter', { alert: payload.kind, attempts: retries + 1, detail: lastError });
  }

  /** Waits for deliveries in progress (shutdown, tests). */
  async settled(): Promise<void> {
    await Promise.all([...this.inFlight]);
  }
}
