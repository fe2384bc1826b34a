import { newServes, positionFromFlag, positionOf, type LoadedManifest, type Position } from '@strangler/manifests';
import { domainFlagName } from '../flags/flag-names.js';
import type { RouteEntry } from '../routing/route-table.js';
import type { UpstreamPool } from '../upstreams/upstream-pool.js';
import type { WindowSummary } from '../upstreams/rolling-window.js';
import type { HourSummary, SplitSummary, TrafficSplit, UnclaimedRoute } from '../upstreams/traffic-split.js';

export interface TargetStatus extends WindowSummary {
  url: string;
  healthy: boolean;
  breaker: 'open' | 'half_open' | 'closed';
}

export interface DomainStatus {
  domain: string;
  /** The extracted service; null while the domain has none. */
  service: string | null;
  adr: number;
  flag: string;
  /** The stage and percentage this proxy routes by now (from its Unleash client). */
  stage: string;
  percentage: number;
  /** Each route with its override (from the manifest) and the share of users (0-100) whose requests of it the new service serves. */
  routes: { method: string; path: string; override: string | null; newPercent: number }[];
  /** Who served the domain's requests over the last minute, on this instance. */
  split: SplitSummary;
  /** Who served the domain's requests over the last hour, on this instance. */
  lastHour: HourSummary;
  targets: TargetStatus[];
  /** The service's watermark lag in ms as last reported (ADR-0021); null when not fed by CDC or not known. */
  lagMs?: number | null;
  /** Which way the domain's data flows, for a domain that may be owned by its service (ADR-0025). */
  sync?: SyncSummary;
}

/** The data sync of an ownable domain: direction, where writes go, the fence, the reverse sync's lag, the last cutover. */
export interface SyncSummary {
  /** forward: monolith → service (the monolith owns the writes); reverse: service → monolith. */
  direction: 'forward' | 'reverse' | null;
  owner: string | null;
  epoch: number | null;
  writesTo: 'legacy' | 'new' | null;
  /** Since when writes are fenced (a cutover in progress), else null. */
  fencedSince: string | null;
  reverseLagMs: number | null;
  reversePendingEvents: number | null;
  lastCutover: { id: number; from: string; to: string; at: string; outcome: string | null; fenceMs: number | null; failedStep: string | null; steps: { step: string; ms: number }[] } | null;
}

/** The admin API's status: every domain, the monolith's instances, and the requests no manifest claims. */
export interface ProxyStatus {
  domains: DomainStatus[];
  monolith: TargetStatus[];
  unclaimed: UnclaimedRoute[];
}

/** The share of users whose requests of this route the new service serves at this position. */
function newPercentOf(route: RouteEntry, position: Position): number {
  const stage = route.routedStage[position.stage];
  if (!route.service || !newServes(stage, route.method)) return 0;
  return positionOf(stage, position.percentage).percentage;
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
    const position = h ? positionFromFlag(h) : positionOf(m.stage, m.percentage);
    return {
      domain: m.domain,
      service: m.service?.name ?? null,
      adr: m.adr,
      flag,
      stage: position.stage,
      percentage: position.percentage,
      routes: routes
        .filter((r) => r.domain === m.domain)
        .map((r) => ({
          method: r.method,
          path: r.template,
          override: r.hasOverride ? `${r.manifestStage} ${r.manifestPercentage}%` : null,
          newPercent: newPercentOf(r, r.hasOverride ? positionOf(r.manifestStage, r.manifestPercentage) : position),
        })),
      split: split.summary(m.domain),
      lastHour: split.lastHour(m.domain),
      targets: targetsOf(m.service && pools.get(m.service.name)),
    };
  });
}
