import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '@strangler/platform';
import { Unleash, type Context } from 'unleash-client';
import type { RouteEntry } from '../routing/route-table.js';
import { isStage, type FlagContext, type FlagReader, type StageDecision } from './flag-reader.js';
import { sameForEveryone, type DefinitionShape } from './same-for-everyone.js';
import { bootstrapToggle } from './stage-strategy.js';

export interface UnleashReaderOptions {
  /** Base URL of the Unleash server, e.g. http://127.0.0.1:4242 */
  url: string;
  /** A backend (client) API token, e.g. `default:development.<secret>`. */
  clientToken: string;
  appName: string;
  refreshIntervalMs: number;
  /** Folder for the client's backup of the last flags it fetched. */
  backupPath: string;
  /** The manifests' routes: their stages are the bootstrap used until Unleash (or the backup) answers. */
  routes: RouteEntry[];
  logger: Logger;
}

/** The part of unleash-client's polling fetcher (6.x) that schedules the next fetch. */
interface PollingFetcherShape {
  timer?: NodeJS.Timeout;
  timedFetch(interval: number): void;
}

/**
 * unleash-client's polling fetcher ends every fetch by scheduling the next one, and overwrites its
 * timer without clearing it: each fetch asked for outside the schedule (`refresh()`, after every
 * flip) started one more polling loop of its own, for the life of the process (186 fetches a second
 * after about 30 flips, ADR-0039). Scheduling clears the timer first here, so one loop is ever
 * pending, however many fetches are asked for. Throws if the client's internals are not as expected
 * (another major version): the tests would fail rather than let the leak back in silently.
 */
function oneFetchScheduled(client: Unleash): void {
  const repository = (client as unknown as { repository?: { fetcher?: { pollingFetcher?: PollingFetcherShape } } }).repository;
  const polling = repository?.fetcher?.pollingFetcher;
  if (!polling || typeof polling.timedFetch !== 'function') throw new Error('unleash-client: no polling fetcher where expected (repository.fetcher.pollingFetcher); check refresh() against this version of the client');
  const schedule = polling.timedFetch.bind(polling);
  polling.timedFetch = (interval: number) => {
    clearTimeout(polling.timer);
    schedule(interval);
  };
}

/**
 * Flags from Unleash through `unleash-client`: polled every `refreshIntervalMs`, kept in a backup
 * file, bootstrapped from the manifests; when Unleash is down the last known flags keep routing.
 */
export class UnleashFlagReader implements FlagReader {
  readonly client: Unleash;
  /** Outcomes of the flags that give every user the same one, by the definition they were evaluated from. */
  private readonly outcomes = new WeakMap<object, { decision: StageDecision | undefined; enabled: boolean; variant: string | undefined }>();
  /** Why the last fetch failed, until a fetch succeeds again. */
  private fetchError: string | undefined;

  private constructor(client: Unleash) {
    this.client = client;
    client.on('error', (err: Error) => (this.fetchError = err.message));
    this.onFetched(() => (this.fetchError = undefined));
  }

  /** Why Unleash cannot be reached, or undefined while it answers (routing then uses the last flags fetched). */
  unreachable(): string | undefined {
    return this.fetchError;
  }

  static async start(options: UnleashReaderOptions): Promise<UnleashFlagReader> {
    mkdirSync(options.backupPath, { recursive: true });
    const bootstrap = new Map<string, ReturnType<typeof bootstrapToggle>>();
    for (const route of options.routes) {
      if (!bootstrap.has(route.domainFlag)) bootstrap.set(route.domainFlag, bootstrapToggle(route.domainFlag, route.domainStage, route.domainPercentage));
      if (route.hasOverride) bootstrap.set(route.routeFlag, bootstrapToggle(route.routeFlag, route.manifestStage, route.manifestPercentage));
    }
    // The backup of the last flags fetched wins over the manifests' stages. (Given both, the
    // client races them and the bootstrap can win, so the choice is made here.)
    const backupFile = join(options.backupPath, `unleash-backup-${options.appName.replace(/\//g, '_')}.json`);
    let data: unknown[] = [...bootstrap.values()];
    if (existsSync(backupFile)) {
      try {
        const backup = JSON.parse(readFileSync(backupFile, 'utf8')) as { features?: unknown[] };
        if (backup.features?.length) {
          data = backup.features;
          options.logger.info('flags bootstrapped from the backup of the last fetch', { file: backupFile });
        }
      } catch (err) {
        options.logger.warn('unreadable unleash backup; bootstrapping from the manifests', { file: backupFile, detail: String(err) });
      }
    }
    const client = new Unleash({
      url: `${options.url.replace(/\/$/, '')}/api/`,
      appName: options.appName,
      refreshInterval: options.refreshIntervalMs,
      metricsInterval: 60_000,
      customHeaders: { Authorization: options.clientToken },
      backupPath: options.backupPath,
      bootstrap: { data: data as never },
      bootstrapOverride: false,
      skipInstanceCountWarning: true,
    });
    oneFetchScheduled(client);
    let lastError = '';
    client.on('error', (err: Error) => {
      // Logged once per distinct error: a down server would otherwise log every refresh.
      if (err.message !== lastError) options.logger.warn('unleash unreachable; routing from the last known flags', { detail: err.message });
      lastError = err.message;
    });
    client.on('synchronized', () => options.logger.info('flags synchronized with unleash'));
    client.on('changed', () => {
      lastError = '';
    });
    let lastWarning = '';
    client.on('warn', (message: unknown) => {
      // The client's warnings (a bad backup file, a rejected metrics post) were dropped before; once each.
      const text = message instanceof Error ? message.message : String(message);
      if (text !== lastWarning) options.logger.warn('unleash client warning', { detail: text });
      lastWarning = text;
    });
    await new Promise<void>((resolve) => {
      if (client.isSynchronized()) resolve();
      client.once('ready', () => resolve());
    });
    return new UnleashFlagReader(client);
  }

  evaluate(flag: string, context: FlagContext): StageDecision | undefined {
    const definition = this.client.getFeatureToggleDefinition(flag);
    if (!definition?.enabled) return undefined;
    // A flag that gives everyone the same outcome is evaluated once per definition (the client holds a
    // new object after every fetch that changed it); each request still counts in Unleash's metrics.
    const known = this.outcomes.get(definition);
    if (known) {
      this.client.count(flag, known.enabled);
      if (known.variant) this.client.countVariant(flag, known.variant);
      return known.decision;
    }
    // getVariant copies the context itself (with its static fields): no copy here.
    const variant = this.client.getVariant(flag, context as Context);
    const decision: StageDecision | undefined = !variant.feature_enabled
      ? { stage: 'legacy', selected: false }
      : isStage(variant.name)
        ? { stage: variant.name, selected: variant.enabled }
        : undefined;
    if (sameForEveryone(definition as DefinitionShape)) this.outcomes.set(definition, { decision, enabled: Boolean(variant.feature_enabled), variant: variant.name || undefined });
    return decision;
  }

  isOn(flag: string): boolean {
    return this.client.getFeatureToggleDefinition(flag)?.enabled === true;
  }

  /** The stage and rollout this client currently holds for a flag (from its strategy). */
  heldStage(flag: string): { stage: string; rollout: number; enabled: boolean } | undefined {
    const definition = this.client.getFeatureToggleDefinition(flag);
    const strategy = definition?.strategies?.[0] as { parameters?: { rollout?: string }; variants?: { name: string }[] } | undefined;
    if (!definition || !strategy) return undefined;
    return { stage: strategy.variants?.[0]?.name ?? 'legacy', rollout: Number(strategy.parameters?.rollout ?? 0), enabled: definition.enabled };
  }

  /**
   * After a flip made by this process: fetch until the client holds the new stage, instead of
   * waiting for the next poll (Unleash serves a cached revision for a moment after a change).
   */
  async refreshUntil(flag: string, stage: string, rollout: number, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      await this.refresh();
      const held = this.heldStage(flag);
      if (held?.enabled && held.stage === stage && held.rollout === rollout) return;
      if (Date.now() > deadline) throw new Error(`flag ${flag} did not reach ${stage} ${rollout}% within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Calls `listener` after every fetch that reached Unleash, whether the flags changed or not. */
  onFetched(listener: () => void): void {
    this.client.on('changed', listener);
    this.client.on('unchanged', listener);
  }

  /** Fetch the flags now instead of waiting for the next poll. */
  async refresh(): Promise<void> {
    await (this.client as unknown as { repository: { fetch(): Promise<void> } }).repository.fetch();
  }

  destroy(): void {
    this.client.destroy();
    // destroy() drops the repository's listeners; a fetch still in flight would then throw its error.
    (this.client as unknown as { repository: NodeJS.EventEmitter }).repository.on('error', () => {});
  }
}
