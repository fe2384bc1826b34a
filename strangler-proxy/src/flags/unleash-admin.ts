import type { Stage } from '@strangler/manifests';
import { AppError } from '@strangler/platform';
import type { RouteEntry } from '../routing/route-table.js';
import { stageStrategy } from './stage-strategy.js';

/** Unleash answered an Admin API call with an error (`unleashStatus`); to a caller of the proxy, a 502. */
export class UnleashAdminError extends AppError {
  constructor(
    readonly unleashStatus: number,
    message: string,
  ) {
    super(502, 'unleash_refused', message);
  }
}

/** Unleash's Admin API could not be reached or did not answer in time. */
export class UnleashUnavailableError extends AppError {
  constructor(message: string, cause?: unknown) {
    super(503, 'unleash_unavailable', message, { retriable: true, cause, headers: { 'retry-after': '5' } });
  }
}

interface FeatureEnvironment {
  name: string;
  enabled: boolean;
  strategies: { id: string; name: string }[];
}

/** The few Admin API calls the migration needs: create flags, set a stage, switch an override on or off. */
export class UnleashAdmin {
  constructor(
    private readonly baseUrl: string,
    private readonly adminToken: string,
    readonly environment = 'development',
    readonly project = 'default',
  ) {}

  private async call(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
    let response: Response;
    let text: string;
    try {
      response = await fetch(`${this.baseUrl.replace(/\/$/, '')}/api/admin${path}`, {
        method,
        headers: { authorization: this.adminToken, 'content-type': 'application/json', accept: 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(10_000),
      });
      text = await response.text();
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err instanceof Error ? err.message : String(err));
      throw new UnleashUnavailableError(`Unleash is unreachable (${method} /api/admin${path} at ${this.baseUrl} failed: ${cause}); nothing was changed, retry once it is back`, err);
    }
    let json: unknown;
    try {
      json = text ? (JSON.parse(text) as unknown) : undefined;
    } catch {
      throw new UnleashAdminError(response.status, `${method} /api/admin${path} answered ${response.status} with a body that is not JSON: ${text.slice(0, 300)}`);
    }
    if (response.status >= 400 && response.status !== 404) {
      throw new UnleashAdminError(response.status, `${method} /api/admin${path} answered ${response.status}: ${text.slice(0, 300)}`);
    }
    return { status: response.status, json };
  }

  private featurePath(flag: string): string {
    return `/projects/${this.project}/features/${encodeURIComponent(flag)}`;
  }

  /** The flag's strategies and state in this environment, or undefined when the flag does not exist. */
  async environmentOf(flag: string): Promise<FeatureEnvironment | undefined> {
    const { status, json } = await this.call('GET', this.featurePath(flag));
    if (status === 404) return undefined;
    return (json as { environments: FeatureEnvironment[] }).environments.find((e) => e.name === this.environment);
  }

  /** Creates the flag with this stage when it does not exist; an existing flag is left as Unleash has it. */
  async ensureFlag(flag: string, description: string, stage: Stage, percentage: number): Promise<'created' | 'exists'> {
    if (await this.environmentOf(flag)) return 'exists';
    const created = await this.call('POST', `/projects/${this.project}/features`, { name: flag, type: 'release', description, impressionData: false });
    if (created.status === 404) throw new UnleashAdminError(404, `project ${this.project} not found`);
    await this.setStage(flag, stage, percentage);
    return 'created';
  }

  /** Sets the flag's stage and percentage (one flexibleRollout strategy) and switches it on. */
  async setStage(flag: string, stage: Stage, percentage: number): Promise<void> {
    const env = await this.environmentOf(flag);
    if (!env) throw new UnleashAdminError(404, `flag ${flag} does not exist`);
    const strategies = `${this.featurePath(flag)}/environments/${this.environment}/strategies`;
    const payload = stageStrategy(flag, stage, percentage);
    const [first, ...rest] = env.strategies;
    if (first) await this.call('PUT', `${strategies}/${first.id}`, payload);
    else await this.call('POST', strategies, payload);
    for (const extra of rest) await this.call('DELETE', `${strategies}/${extra.id}`);
    if (!env.enabled) await this.call('POST', `${this.featurePath(flag)}/environments/${this.environment}/on`);
  }

  /** The stage and percentage the flag holds in Unleash (from its strategy), or undefined when it does not exist. */
  async stageOf(flag: string): Promise<{ stage: string; percentage: number; enabled: boolean } | undefined> {
    const { status, json } = await this.call('GET', this.featurePath(flag));
    if (status === 404) return undefined;
    const env = (json as { environments: { name: string; enabled: boolean; strategies: { parameters?: { rollout?: string }; variants?: { name: string }[] }[] }[] }).environments.find(
      (e) => e.name === this.environment,
    );
    const strategy = env?.strategies[0];
    if (!env || !strategy) return undefined;
    return { stage: strategy.variants?.[0]?.name ?? 'legacy', percentage: Number(strategy.parameters?.rollout ?? 0), enabled: env.enabled };
  }

  /** Switches a flag off in this environment (a route override stops applying). */
  async switchOff(flag: string): Promise<void> {
    await this.call('POST', `${this.featurePath(flag)}/environments/${this.environment}/off`);
  }
}

/**
 * Creates, idempotently, one flag per domain and one per route that the manifest overrides, with
 * the manifest's stage. Flags that exist keep their state: after creation, Unleash owns the stage.
 */
export async function bootstrapFlags(admin: UnleashAdmin, routes: RouteEntry[]): Promise<{ created: string[]; existing: string[] }> {
  const created: string[] = [];
  const existing: string[] = [];
  const seen = new Set<string>();
  for (const route of routes) {
    const wanted: [string, string, Stage, number][] = [];
    if (!seen.has(route.domainFlag)) {
      wanted.push([route.domainFlag, `Stage of the ${route.domain} domain (strangler migration)`, route.domainStage, route.domainPercentage]);
    }
    if (route.hasOverride) wanted.push([route.routeFlag, `Override for ${route.method} ${route.template} (${route.domain})`, route.manifestStage, route.manifestPercentage]);
    for (const [flag, description, stage, percentage] of wanted) {
      seen.add(flag);
      const outcome = await admin.ensureFlag(flag, description, stage, percentage);
      (outcome === 'created' ? created : existing).push(flag);
    }
  }
  return { created, existing };
}
