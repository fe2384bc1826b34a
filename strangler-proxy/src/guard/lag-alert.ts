import type { AlertSink } from '@strangler/platform';

/**
 * Raises a `cdc_lag` alert when a service's watermark lag goes over `limitMs`, once per episode: the
 * next alert for that service comes only after its lag was back under the limit.
 */
export function watchLag(watches: Map<string, { lagMs(): number | undefined }>, limitMs: number, alerts: AlertSink, everyMs = 5000): NodeJS.Timeout {
  const over = new Set<string>();
  const timer = setInterval(() => {
    for (const [service, watch] of watches) {
      const lag = watch.lagMs();
      if (lag === undefined) continue;
      if (lag > limitMs && !over.has(service)) {
        over.add(service);
        alerts.raise({ kind: 'cdc_lag', summary: `${service} is ${Math.round(lag)} ms behind the monolith (CDC watermark lag), over ${limitMs} ms`, details: { service, lagMs: Math.round(lag), limitMs } });
      } else if (lag <= limitMs) over.delete(service);
    }
  }, everyMs);
  timer.unref();
  return timer;
}
