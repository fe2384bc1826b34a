import { positionOf, STAGES, type LoadedManifest, type Stage } from '@strangler/manifests';
import { domainFlagName, routeFlagName } from '../flags/flag-names.js';

/** One route of a domain manifest, ready for matching and flag evaluation. */
export interface RouteEntry {
  domain: string;
  method: string;
  template: string;
  /** The extracted service that takes over this route; undefined while the domain has none (it stays at legacy). */
  service: string | undefined;
  domainFlag: string;
  routeFlag: string;
  /** Stage and percentage from the manifest: the bootstrap values before Unleash answers. */
  manifestStage: Stage;
  manifestPercentage: number;
  /** The domain's stage and percentage in its manifest. */
  domainStage: Stage;
  domainPercentage: number;
  /** True when the manifest sets a stage or percentage for this route alone. */
  hasOverride: boolean;
  /**
   * The stage routed by for each stage a flag may hold: itself when the manifest allows it, else the
   * nearest allowed stage below it. A flag set in Unleash to a stage the domain does not take
   * (`owned` before the service can take writes) cannot send traffic where it cannot be served.
   */
  routedStage: Record<Stage, Stage>;
}

function routedStages(allowed: readonly Stage[]): Record<Stage, Stage> {
  const routed = {} as Record<Stage, Stage>;
  let highest: Stage = 'legacy';
  for (const stage of STAGES) {
    if (allowed.includes(stage)) highest = stage;
    routed[stage] = highest;
  }
  return routed;
}

interface Compiled {
  entry: RouteEntry;
  /** Lower-case literal per position, or undefined for a parameter. */
  literals: (string | undefined)[];
  /** Higher is more specific: literals earlier in the path weigh more. */
  specificity: number;
}

/**
 * Matches a normalised path against the manifests' templates by method: the most specific template
 * wins (a literal segment beats a parameter, compared from the left); HEAD falls back to GET routes.
 */
export class RouteTable {
  private readonly byMethodAndLength = new Map<string, Compiled[]>();
  readonly routes: RouteEntry[];

  constructor(manifests: LoadedManifest[]) {
    this.routes = [];
    for (const manifest of manifests) {
      for (const route of manifest.routes) {
        const entry: RouteEntry = {
          domain: manifest.domain,
          method: route.method,
          template: route.path,
          service: manifest.service?.name,
          domainFlag: domainFlagName(manifest.domain),
          routeFlag: routeFlagName(manifest.domain, route.method, route.path),
          manifestStage: route.stage ?? manifest.stage,
          manifestPercentage: positionOf(route.stage ?? manifest.stage, route.percentage ?? (route.stage === undefined ? manifest.percentage : undefined)).percentage,
          domainStage: manifest.stage,
          domainPercentage: manifest.percentage,
          hasOverride: route.stage !== undefined || route.percentage !== undefined,
          routedStage: routedStages(manifest.stages),
        };
        this.routes.push(entry);
        const segments = route.path.split('/').filter(Boolean);
        const literals = segments.map((s) => (s.startsWith(':') ? undefined : s.toLowerCase()));
        const specificity = literals.reduce((acc, l, i) => acc + (l === undefined ? 0 : 2 ** (31 - i)), 0);
        const key = `${route.method} ${segments.length}`;
        const list = this.byMethodAndLength.get(key) ?? [];
        list.push({ entry, literals, specificity });
        list.sort((a, b) => b.specificity - a.specificity);
        this.byMethodAndLength.set(key, list);
      }
    }
  }

  /** `path` must be normalised (see normalisePath). */
  match(method: string, path: string): RouteEntry | undefined {
    const segments = path === '/' ? [] : path.slice(1).toLowerCase().split('/');
    const found = this.find(method, segments);
    return found ?? (method === 'HEAD' ? this.find('GET', segments) : undefined);
  }

  private find(method: string, segments: string[]): RouteEntry | undefined {
    const candidates = this.byMethodAndLength.get(`${method} ${segments.length}`);
    if (!candidates) return undefined;
    outer: for (const candidate of candidates) {
      for (let i = 0; i < segments.length; i++) {
        const literal = candidate.literals[i];
        if (literal !== undefined && literal !== segments[i]) continue outer;
      }
      return candidate.entry;
    }
    return undefined;
  }
}
