import type { LoadedManifest } from '@strangler/manifests';
import { domainFlagName } from '../flags/flag-names.js';
import type { RouteEntry } from '../routing/route-table.js';
import type { UpstreamPool } from '../upstreams/upstream-pool.js';
import type { WindowSummary } from '../upstreams/rolling-window.js';
import type { SplitSummary, TrafficSplit } from '../upstreams/traffic-split.js';

export interface TargetStatus extends WindowSummary {
  url: string;
  healthy: boolean;
  breaker: 'open' | 'half_open' | 'closed';
}

export interface DomainStatus {
  domain: string;
  service: string;
  adr: number;
  flag: string;
  /** The stage and percentage this proxy routes by now (from its Unleash client). */
  stage: string;
  percentage: number;
  routes: { method: string; path: string; override: string | null }[];
  /** Who served the domain's requests over the last minute, on this instance. */
  split: SplitSummary;
  targets: TargetStatus[];
  /** The service's watermark lag in ms as last reported (ADR-0017); null when not fed by CDC or not known. */
  lagMs?: number | null;
}

export function targetsOf(pool: UpstreamPool | undefined): TargetStatus[] {
  return (pool?.instances ?? []).map((i) => ({ url: i.target.origin, healthy: i.healthy, breaker: i.breakerState, ...i.window.summary() }));
}

/** Live state per domain: the stage this instance routes by, its routes, its traffic split, and each target's health and last minute. */
export function domainStatus(
  manifests: LoadedManifest[],
  routes: RouteEntry[],
  held: (flag: string) => { stage: string; rollout: number; enabled: boolean } | undefined,
  pools: Map<string, UpstreamPool>,
  split: TrafficSplit,
): DomainStatus[] {
  return manifests.map((m) => {
    const flag = domainFlagName(m.domain);
    const h = held(flag);
    const stage = h ? (h.enabled ? h.stage : 'legacy') : m.stage;
    return {
      domain: m.domain,
      service: m.service.name,
      adr: m.adr,
      flag,
      stage,
      percentage: stage === 'canary' ? (h ? h.rollout : m.percentage) : stage === 'new' || stage === 'owned' ? 100 : 0,
      routes: routes
        .filter((r) => r.domain === m.domain)
        .map((r) => ({ method: r.method, path: r.template, override: r.hasOverride ? `${r.manifestStage} ${r.manifestPercentage}%` : null })),
      split: split.summary(m.domain),
      targets: targetsOf(pools.get(m.service.name)),
    };
  });
}
