import type { GuardSettings, LoadedManifest, Position } from '@strangler/manifests';
import type { AlertSink, Logger } from '@strangler/platform';
import type { CompareOutcome } from '../compare/answer-diff.js';
import { RollingWindow, type WindowSummary } from '../upstreams/rolling-window.js';

/** The stages a guard watches: those that send something to the new side. */
const GUARDED_STAGES = new Set(['shadow', 'canary', 'new', 'owned']);

/** What a guard measured over its window. */
export interface Measurement {
  windowSeconds: number;
  /** Answers of the new side (served to users, or copies at shadow). */
  newRequests: number;
  errorRate: number;
  newP99Ms: number | null;
  legacyP99Ms: number | null;
  /** newP99Ms / legacyP99Ms when both are known. */
  p99Ratio: number | null;
  compared: number;
  diffRate: number;
}

export interface Verdict {
  /** Not enough requests yet for a decision. */
  undecided: boolean;
  /** Each limit passed, in words with the measured value and the limit. */
  breaches: string[];
}

/** The decision on one window: each limit is judged once its own sample has at least minRequests. */
export function judge(guard: GuardSettings, m: Measurement): Verdict {
  const breaches: string[] = [];
  const pct = (x: number) => `${Math.round(x * 1000) / 10}%`;
  if (m.newRequests >= guard.minRequests) {
    if (m.errorRate > guard.maxErrorRate) breaches.push(`5xx share ${pct(m.errorRate)} over maxErrorRate ${pct(guard.maxErrorRate)}`);
    if (m.p99Ratio !== null && m.p99Ratio > guard.maxP99Ratio) {
      breaches.push(`p99 ${m.newP99Ms} ms is ${Math.round(m.p99Ratio * 100) / 100}× legacy's ${m.legacyP99Ms} ms, over maxP99Ratio ${guard.maxP99Ratio}`);
    }
  }
  if (m.compared >= guard.minRequests && m.diffRate > guard.maxDiffRate) breaches.push(`diff rate ${pct(m.diffRate)} over maxDiffRate ${pct(guard.maxDiffRate)}`);
  return { undecided: m.newRequests < guard.minRequests && m.compared < guard.minRequests, breaches };
}

/** What the guard needs from the flip service. */
export interface GuardFlips {
  automatic(domain: string, expected: Position, to: Position | 'back', actor: string, reason: string, evidence: Record<string, unknown>): Promise<{ to: Position; audit: { id: number } } | undefined>;
}

export const GUARD_ACTOR = 'guard';

interface Watched {
  manifest: LoadedManifest;
  guard: GuardSettings;
  newSide: RollingWindow;
  legacySide: RollingWindow;
  compared: RollingWindow;
  /** The position last seen, and since when (this proxy's view). */
  position: Position | undefined;
  since: number;
  /** No decision before this (a fresh window after a rollback). */
  quietUntil: number;
  /** The position whose breach was already alerted (one alert per breach, not per evaluation). */
  alerted: string | undefined;
  busy: boolean;
}

/**
 * Guarded rollouts (ADR-0023): every proxy measures, per guarded domain, the new side's answers (5xx
 * share, p99 against the legacy side's) and the comparisons' diff rate over the manifest's window,
 * and every `evaluateEverySeconds` judges them. A breach rolls the domain back one stage through the
 * flip service (under the domain's lock, only if it is still where it was measured: several proxies
 * never roll back twice), audited as automatic by `guard` with the measurements; an alert is raised
 * for the breach and for the rollback. At canary, with `promotion` steps, a domain that held for
 * `intervalSeconds` moves to the next percentage by itself.
 */
export class Guards {
  private readonly watched = new Map<string, Watched>();
  private timers: NodeJS.Timeout[] = [];
  private running = new Set<Promise<void>>();

  constructor(
    manifests: LoadedManifest[],
    private readonly deps: {
      positionOf(domain: string): Position | undefined;
      flips: GuardFlips | undefined;
      alerts: AlertSink;
      logger: Pick<Logger, 'info' | 'warn' | 'error'>;
      now?: () => number;
    },
  ) {
    const now = this.now();
    for (const m of manifests) {
      if (!m.guard || !m.service) continue;
      const windowMs = m.guard.windowSeconds * 1000;
      const clock = () => this.now();
      this.watched.set(m.domain, {
        manifest: m,
        guard: m.guard,
        newSide: new RollingWindow(windowMs, 20_000, clock),
        legacySide: new RollingWindow(windowMs, 20_000, clock),
        compared: new RollingWindow(windowMs, 20_000, clock),
        position: undefined,
        since: now,
        quietUntil: 0,
        alerted: undefined,
        busy: false,
      });
    }
  }

  private now(): number {
    return this.deps.now?.() ?? Date.now();
  }

  /** Whether any domain has a guard (the proxy then observes every answer). */
  get active(): boolean {
    return this.watched.size > 0;
  }

  observe(domain: string, side: 'legacy' | 'new', durationMs: number, failed: boolean): void {
    const w = this.watched.get(domain);
    if (!w) return;
    (side === 'new' ? w.newSide : w.legacySide).record(durationMs, failed);
  }

  compared(domain: string, outcome: CompareOutcome): void {
    if (outcome !== 'equal' && outcome !== 'different') return;
    this.watched.get(domain)?.compared.record(0, outcome === 'different');
  }

  measure(domain: string): Measurement | undefined {
    const w = this.watched.get(domain);
    if (!w) return undefined;
    const next: WindowSummary = w.newSide.summary();
    const legacy = w.legacySide.summary();
    const compared = w.compared.summary();
    const ratio = next.p99Ms !== null && legacy.p99Ms !== null && legacy.requests > 0 ? next.p99Ms / Math.max(legacy.p99Ms, 1) : null;
    return {
      windowSeconds: w.guard.windowSeconds,
      newRequests: next.requests,
      errorRate: next.errorRate,
      newP99Ms: next.p99Ms,
      legacyP99Ms: legacy.p99Ms,
      p99Ratio: ratio === null ? null : Math.round(ratio * 100) / 100,
      compared: compared.requests,
      diffRate: compared.errorRate,
    };
  }

  /** One evaluation of one domain. */
  async evaluate(domain: string): Promise<void> {
    const w = this.watched.get(domain);
    if (!w || w.busy) return;
    const position = this.deps.positionOf(domain);
    if (!position) return;
    const now = this.now();
    if (!w.position || w.position.stage !== position.stage || w.position.percentage !== position.percentage) {
      w.position = position;
      w.since = now;
      w.alerted = undefined;
    }
    if (!GUARDED_STAGES.has(position.stage) || now < w.quietUntil) return;
    const measured = this.measure(domain)!;
    const verdict = judge(w.guard, measured);
    const at = `${position.stage} ${position.percentage}%`;
    w.busy = true;
    try {
      if (verdict.breaches.length) {
        const evidence = { ...measured, breaches: verdict.breaches, limits: limitsOf(w.guard), at, measuredAt: new Date(now).toISOString() };
        if (w.alerted !== at) {
          w.alerted = at;
          this.deps.alerts.raise({ kind: 'guard_breach', summary: `guard of ${domain} breached at ${at}: ${verdict.breaches.join('; ')}`, details: { domain, ...evidence } });
        }
        if (!this.deps.flips) return;
        const outcome = await this.deps.flips.automatic(domain, position, 'back', GUARD_ACTOR, `guard breach: ${verdict.breaches.join('; ')} (window ${w.guard.windowSeconds} s)`, evidence);
        // Whoever rolled back, the old measurements belong to the stage left: start a fresh window.
        this.reset(w, now);
        if (outcome) {
          this.deps.alerts.raise({
            kind: 'automatic_rollback',
            summary: `${domain} rolled back automatically from ${at} to ${outcome.to.stage} ${outcome.to.percentage}% (audit #${outcome.audit.id})`,
            details: { domain, from: at, to: `${outcome.to.stage} ${outcome.to.percentage}%`, auditId: outcome.audit.id, ...evidence },
          });
        }
        return;
      }
      const promotion = w.guard.promotion;
      if (position.stage !== 'canary' || !promotion || verdict.undecided || measured.newRequests < w.guard.minRequests) return;
      if (now - w.since < promotion.intervalSeconds * 1000) return;
      const step = promotion.steps.find((p) => p > position.percentage);
      if (step === undefined) return;
      const evidence = { ...measured, limits: limitsOf(w.guard), at, heldSeconds: Math.round((now - w.since) / 1000), measuredAt: new Date(now).toISOString() };
      const outcome = await this.deps.flips?.automatic(domain, position, { stage: 'canary', percentage: step }, GUARD_ACTOR, `guard held ${evidence.heldSeconds} s at ${at}: promoted to canary ${step}%`, evidence);
      if (outcome) this.deps.logger.info('canary promoted by its guard', { domain, from: at, to: `canary ${step}%`, auditId: outcome.audit.id });
    } catch (err) {
      this.deps.logger.error('the guard could not change the domain; it tries again at the next evaluation', { domain, at, detail: err instanceof Error ? err.message : String(err) });
    } finally {
      w.busy = false;
    }
  }

  private reset(w: Watched, now: number): void {
    const windowMs = w.guard.windowSeconds * 1000;
    const clock = () => this.now();
    w.newSide = new RollingWindow(windowMs, 20_000, clock);
    w.legacySide = new RollingWindow(windowMs, 20_000, clock);
    w.compared = new RollingWindow(windowMs, 20_000, clock);
    w.quietUntil = now + w.guard.evaluateEverySeconds * 1000;
  }

  /** Evaluates each guarded domain every `evaluateEverySeconds`. */
  start(): void {
    for (const [domain, w] of this.watched) {
      const timer = setInterval(() => {
        const run = this.evaluate(domain).finally(() => this.running.delete(run));
        this.running.add(run);
      }, w.guard.evaluateEverySeconds * 1000);
      timer.unref();
      this.timers.push(timer);
    }
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    await Promise.all([...this.running]);
  }
}

function limitsOf(guard: GuardSettings) {
  return { maxErrorRate: guard.maxErrorRate, maxP99Ratio: guard.maxP99Ratio, maxDiffRate: guard.maxDiffRate, minRequests: guard.minRequests, windowSeconds: guard.windowSeconds };
}
