import type { IncomingMessage } from 'node:http';
import { compareSchema, parseJsonPath, type CompareSettings, type LoadedManifest, type PathSegment, type Stage } from '@strangler/manifests';
import type { Logger } from '@strangler/platform';
import { Counter, type Registry } from 'prom-client';
import type { RouteEntry } from '../routing/route-table.js';
import { sameAnswer, type CapturedAnswer, type CompareOutcome, type Comparison, type Difference } from './answer-diff.js';
import { inThreadRunner, type DiffRunner } from './diff-runner.js';
import { captureAnswer } from './capture.js';

/** Where the comparison's results go besides the metrics: the database, and the guard's windows. */
export interface CompareSinks {
  record?(domain: string, route: string, outcome: CompareOutcome, differences: Difference[], noise: string[], traceId: string | undefined): void;
  recordNoise?(domain: string, route: string, differences: Difference[]): void;
  /** Each finished comparison (the guard's diff rate). */
  compared?(domain: string, outcome: CompareOutcome): void;
  /** Each copy's answer (the guard's error share and latency of a side that served no user). */
  copyAnswered?(domain: string, side: 'legacy' | 'new', durationMs: number, failed: boolean): void;
}

type Side = 'legacy' | 'new';
type Result = CapturedAnswer | Error;

/** One request's comparison in progress: the user's answer, the copy's, and for a noise sample a second legacy answer. */
export class PendingComparison {
  private answers: Partial<Record<Side | 'again', Result>> = {};
  private done = false;
  private tapped = false;

  constructor(
    private readonly comparator: Comparator,
    readonly domain: string,
    readonly route: string,
    /** The side the copy goes to (the other side from the one expected to serve the user). */
    readonly copySide: Side,
    /** Whether a second legacy answer is asked for (false again when there was no room for it). */
    public noise: boolean,
    readonly maxBodyBytes: number,
    readonly traceId: string | undefined,
  ) {}

  /** The user's answer, as it streams to the user: kept up to the limit by a second reader. */
  tap(answer: IncomingMessage, side: Side, startedAt: number): void {
    if (this.done) return;
    // The user was served by the side the copy went to (a fallback): nothing to compare with.
    if (side === this.copySide || this.answers[side]) return this.abandon();
    this.tapped = true;
    captureAnswer(answer, startedAt, this.maxBodyBytes, (result) => this.answered(side, result));
  }

  /** The copy's answer (or what went wrong with it); undefined when the copy was dropped over the shadow cap. */
  copied(side: Side | 'again', result: Result | undefined): void {
    if (result === undefined && side === 'again') {
      // No room for the noise sample: compare without it.
      this.noise = false;
      return this.check();
    }
    if (result === undefined) return this.abandon();
    if (!(result instanceof Error) && side !== 'again') this.comparator.sinks.copyAnswered?.(this.domain, side, result.durationMs, result.status >= 500);
    if (result instanceof Error && side !== 'again') this.comparator.sinks.copyAnswered?.(this.domain, side, 0, true);
    this.answered(side, result);
  }

  /** The callback for the forwarder's copy to `side`: reads the copy's answer up to the limit. */
  copy(side: Side | 'again'): (answer: IncomingMessage | Error | undefined, startedAt: number) => void {
    return (answer, startedAt) => {
      if (answer === undefined || answer instanceof Error) this.copied(side, answer);
      else captureAnswer(answer, startedAt, this.maxBodyBytes, (result) => this.copied(side, result));
    };
  }

  /** The user's exchange is over: without a tapped answer (refused, failed, client gone) there is nothing to compare. */
  userDone(): void {
    if (!this.tapped) this.abandon();
  }

  abandon(): void {
    this.done = true;
  }

  private answered(side: Side | 'again', result: Result): void {
    if (this.done) return;
    this.answers[side] = result;
    this.check();
  }

  private check(): void {
    if (this.done) return;
    const { legacy, new: next, again } = this.answers;
    if (legacy && next && (!this.noise || again)) {
      this.done = true;
      // Off the request's path: the user's answer is already on its way.
      setImmediate(() => this.comparator.finish(this, legacy, next, again));
    }
  }
}

interface DomainSettings {
  settings: CompareSettings;
  /** Ignore patterns per route (`METHOD /template`), those of every route included. */
  ignore: Map<string, PathSegment[][]>;
}

/**
 * Compares the legacy and new sides' answers to the same safe request (ADR-0023), off the user's
 * path. At shadow, every copy (at the manifest's shadowRate); at canary and new, a sample of safe
 * requests (sampleRate) also goes to the other side. Noise: a share of comparisons (noiseRate) asks
 * the legacy side a second time; the paths in which two legacy answers differ are noise for that
 * route, left out of the diff rate and shown as noise.
 */
export class Comparator {
  private readonly domains = new Map<string, DomainSettings>();
  /** Noise patterns per `domain route`, found here or by another proxy. */
  private readonly noise = new Map<string, Set<string>>();
  private readonly counter: Counter<'domain' | 'route' | 'outcome'>;
  private readonly noiseCounter: Counter<'domain' | 'route'>;
  private readonly dropped: Counter<'domain' | 'reason'>;

  constructor(
    manifests: LoadedManifest[],
    registry: Registry,
    readonly sinks: CompareSinks,
    private readonly logger: Pick<Logger, 'warn'>,
    private readonly random: () => number = Math.random,
    /** Where answers that differ in their bytes are parsed and diffed (ADR-0031: a worker thread in the proxy). */
    private readonly runner: DiffRunner = inThreadRunner,
  ) {
    for (const m of manifests) {
      if (!m.service) continue;
      const settings = m.compare ?? compareSchema.parse({});
      const ignore = new Map<string, PathSegment[][]>();
      const everywhere = settings.ignore.filter((r) => !r.route).flatMap((r) => r.paths.map(parseJsonPath));
      for (const route of m.routes) {
        const key = `${route.method} ${route.path}`;
        ignore.set(key, [...everywhere, ...settings.ignore.filter((r) => r.route === key).flatMap((r) => r.paths.map(parseJsonPath))]);
      }
      this.domains.set(m.domain, { settings, ignore });
    }
    this.counter = new Counter({
      name: 'strangler_compare_total',
      help: 'Comparisons of the legacy and new answers to one request, by route and outcome (equal, different, failed, too_large)',
      labelNames: ['domain', 'route', 'outcome'] as const,
      registers: [registry],
    });
    this.noiseCounter = new Counter({
      name: 'strangler_compare_noise_total',
      help: 'Comparisons in which some paths differed only as two legacy answers differ (noise), by route',
      labelNames: ['domain', 'route'] as const,
      registers: [registry],
    });
    this.dropped = new Counter({
      name: 'strangler_compare_dropped_total',
      help: 'Comparisons given up because the comparison thread already had its maximum of answers waiting (queue_full)',
      labelNames: ['domain', 'reason'] as const,
      registers: [registry],
    });
  }

  /**
   * Whether this request is compared, decided on the request's path (cheap): a safe request without
   * a body, on a route of a domain with a service, at shadow (a copy is going to the new side anyway)
   * or sampled at canary and new.
   */
  plan(route: RouteEntry, method: string, stage: Stage, mirror: boolean, servingSide: Side, hasBody: boolean, traceId: string | undefined): PendingComparison | undefined {
    if (hasBody || (method !== 'GET' && method !== 'HEAD')) return undefined;
    const domain = this.domains.get(route.domain);
    if (!domain) return undefined;
    const { settings } = domain;
    let copySide: Side;
    if (mirror) {
      if (settings.shadowRate < 1 && this.random() >= settings.shadowRate) return undefined;
      copySide = 'new';
    } else if (stage === 'canary' || stage === 'new') {
      if (settings.sampleRate <= 0 || this.random() >= settings.sampleRate) return undefined;
      copySide = servingSide === 'new' ? 'legacy' : 'new';
    } else return undefined;
    const noise = settings.noiseRate > 0 && this.random() < settings.noiseRate;
    return new PendingComparison(this, route.domain, `${route.method} ${route.template}`, copySide, noise, settings.maxBodyBytes, traceId);
  }

  /** Noise found by other proxies (read from the database). */
  learnNoise(found: Map<string, Set<string>>): void {
    for (const [key, patterns] of found) {
      const known = this.noise.get(key) ?? new Set<string>();
      for (const p of patterns) known.add(p);
      this.noise.set(key, known);
    }
  }

  /**
   * Runs the comparison once every answer is in. Answers equal byte for byte are judged here at once
   * (the usual case); the others are parsed and diffed by the runner (the worker thread in the proxy).
   */
  finish(pending: PendingComparison, legacy: Result, next: Result, again: Result | undefined): void {
    const { domain, route } = pending;
    const legacyOk = legacy instanceof Error ? undefined : legacy;
    const nextOk = next instanceof Error ? undefined : next;
    const againOk = again instanceof Error ? undefined : again;
    // Noise needs two legacy answers; the main comparison needs both sides.
    const twiceToDo = legacyOk && againOk && !sameAnswer(legacyOk, againOk) ? againOk : undefined;
    const nextToDo = legacyOk && nextOk && !sameAnswer(legacyOk, nextOk) ? nextOk : undefined;
    const failed = !legacyOk || !nextOk;
    if (!legacyOk || (!twiceToDo && !nextToDo)) {
      this.conclude(pending, failed, undefined, undefined);
      return;
    }
    const ignore = this.domains.get(domain)?.ignore.get(route) ?? [];
    this.runner.diff({ legacy: legacyOk, next: nextToDo, again: twiceToDo, ignore }, (outcome) => {
      if (outcome === undefined) this.dropped.inc({ domain, reason: 'queue_full' });
      else if (outcome instanceof Error) this.logger.warn('comparison failed', { domain, route, detail: outcome.message });
      else this.conclude(pending, failed, outcome.result, outcome.twice);
    });
  }

  /** Counts and records one comparison; `result` undefined with both sides answered means they were equal. */
  private conclude(pending: PendingComparison, failed: boolean, result: Comparison | undefined, twice: Comparison | undefined): void {
    const { domain, route } = pending;
    try {
      const key = `${domain} ${route}`;
      if (twice?.differences.length) {
        const known = this.noise.get(key) ?? new Set<string>();
        for (const d of twice.differences) known.add(d.pattern);
        this.noise.set(key, known);
        this.sinks.recordNoise?.(domain, route, twice.differences);
      }
      let outcome: CompareOutcome;
      let differences: Difference[] = [];
      let noisy: string[] = [];
      if (failed) outcome = 'failed';
      else if (!result) outcome = 'equal';
      else {
        const noise = this.noise.get(key);
        noisy = noise ? result.differences.filter((d) => noise.has(d.pattern)).map((d) => d.pattern) : [];
        differences = noise ? result.differences.filter((d) => !noise.has(d.pattern)) : result.differences;
        outcome = result.outcome === 'different' && differences.length === 0 ? 'equal' : result.outcome;
      }
      this.counter.inc({ domain, route, outcome });
      if (noisy.length) this.noiseCounter.inc({ domain, route });
      this.sinks.record?.(domain, route, outcome, differences, noisy, pending.traceId);
      this.sinks.compared?.(domain, outcome);
    } catch (err) {
      this.logger.warn('comparison failed', { domain, route, detail: err instanceof Error ? err.message : String(err) });
    }
  }

  /** Stops the runner's thread. */
  close(): Promise<void> {
    return this.runner.close();
  }
}
