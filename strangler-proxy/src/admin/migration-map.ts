import type { ProxyStatus } from './status.js';

/** The migration's progress, from the status of one proxy instance. */
export interface MigrationProgress {
  /** Routes claimed by the manifests, and how many of them the new services serve (a canary route counts by its percentage). */
  routes: { total: number; new: number; percent: number };
  /** Requests of the last hour (unclaimed ones included), and how many the new services served. */
  requests: { total: number; new: number; percent: number };
}

export interface MapDomain {
  domain: string;
  service: string | null;
  stage: string;
  percentage: number;
  routes: { method: string; path: string; newPercent: number }[];
  /** The domain's requests of the last hour and their share of every request the proxy routed. */
  lastHour: { requests: number; new: number; sharePercent: number };
}

const percentOf = (part: number, whole: number) => (whole === 0 ? 0 : Math.round((part / whole) * 1000) / 10);

/** Per domain its routes, stage and traffic share, and the progress of the whole migration. */
export function migrationMap(status: ProxyStatus): { domains: MapDomain[]; progress: MigrationProgress; unclaimed: ProxyStatus['unclaimed'] } {
  const unclaimedRequests = status.unclaimed.reduce((sum, u) => sum + u.lastHour, 0);
  const totalRequests = status.domains.reduce((sum, d) => sum + d.lastHour.requests, unclaimedRequests);
  const newRequests = status.domains.reduce((sum, d) => sum + d.lastHour.new, 0);
  const routes = status.domains.flatMap((d) => d.routes);
  const newRoutes = routes.reduce((sum, r) => sum + r.newPercent / 100, 0);
  return {
    domains: status.domains.map((d) => ({
      domain: d.domain,
      service: d.service,
      stage: d.stage,
      percentage: d.percentage,
      routes: d.routes.map((r) => ({ method: r.method, path: r.path, newPercent: r.newPercent })),
      lastHour: { requests: d.lastHour.requests, new: d.lastHour.new, sharePercent: percentOf(d.lastHour.requests, totalRequests) },
    })),
    progress: {
      routes: { total: routes.length, new: Math.round(newRoutes * 100) / 100, percent: percentOf(newRoutes, routes.length) },
      requests: { total: totalRequests, new: newRequests, percent: percentOf(newRequests, totalRequests) },
    },
    unclaimed: status.unclaimed,
  };
}
