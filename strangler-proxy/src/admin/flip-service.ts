import { positionFromFlag, positionOf, rolloutOf, STAGES, type LoadedManifest, type Position, type Stage } from '@strangler/manifests';
import { AppError, ConflictError, NotFoundError, ServiceUnavailableError, ValidationError } from '@strangler/platform';
import { AuditCommitError, type AuditLog, type AuditRecord, type DomainLedger, type FlipMode } from '../audit/audit-log.js';
import { cutOver, liftStuckFence, type CutoverDeps, type FenceRecovery } from '../cutover/cutover.js';
import { domainFlagName } from '../flags/flag-names.js';
import { isStage } from '../flags/flag-reader.js';

/** What the flip service needs from Unleash's Admin API. */
export interface StageStore {
  stageOf(flag: string): Promise<{ stage: string; percentage: number; enabled: boolean } | undefined>;
  setStage(flag: string, stage: Stage, percentage: number): Promise<void>;
}

/** Makes this process route by the new stage now rather than at the next poll. */
export type ApplyNow = (flag: string, stage: Stage, rollout: number) => Promise<void>;

/** True when at least one instance of the service passes its health checks and has a closed breaker. */
export type TargetHealth = (service: string) => boolean;

/** Where the flip service reports what nobody may miss: Unleash and the audit log out of step. */
export interface FlipLogger {
  error(message: string, meta: Record<string, unknown>): void;
}

export interface FlipRequest {
  stage: string;
  percentage?: number;
  adr?: number;
  reason?: string;
  /** Flip even though the target's watermark lag is over the manifest's maxLagMs (needs a reason). */
  force?: boolean;
}

/** The watermark lag of a service in ms, asked now; undefined when it cannot say (ADR-0021). */
export type LagOf = (service: string) => Promise<number | undefined>;

/** Stages that send reads (or writes) to the new service: a flip to them waits for the data. */
const SERVING_STAGES: ReadonlySet<Stage> = new Set(['canary', 'new', 'owned']);

export type { Position };

export interface FlipOutcome {
  domain: string;
  from: Position;
  to: Position;
  audit: AuditRecord;
  /** A flip between new and owned is a cutover (ADR-0025): its journal id and how long writes were fenced. */
  cutover?: { id: number; fenceMs: number; steps: { step: string; ms: number }[] };
}

/** Whether a move takes a domain's writes to or from its service (into or out of owned). */
function movesWrites(from: Position, to: Position): boolean {
  return (from.stage === 'owned') !== (to.stage === 'owned');
}

interface FlipMeta {
  actor: string;
  mode: Exclude<FlipMode, 'external'>;
  adr: number | null;
  reason: string | null;
  override?: string | null;
  evidence?: Record<string, unknown> | null;
}

/** A guard's decision taken on a position the domain has left meanwhile (another proxy acted first). */
class StaleDecision extends Error {}

/** The reason of the row a proxy appends when Unleash holds a stage that the audit log does not. */
export const EXTERNAL_CHANGE_REASON = 'changed in Unleash outside the strangler admin API';

/** The position a flip asks for: canary needs a percentage, the other stages imply theirs. */
function requestedPosition(stage: Stage, given: number | undefined): Position {
  if (stage === 'canary' && given === undefined) throw new ValidationError('stage canary needs a percentage (0-100)', [{ field: 'percentage', reason: 'is required for canary' }]);
  return positionOf(stage, given);
}

/** Refuses a stage that the domain's manifest does not list. */
function allowedStage(manifest: LoadedManifest, stage: Stage): void {
  if (!manifest.stages.includes(stage)) {
    throw new ConflictError(`${manifest.file} allows ${manifest.stages.join(', ')} for ${manifest.domain}; not ${stage}`, 'stage_not_allowed');
  }
}

/** The stage after `stage` among those the manifest allows (`stage` itself need not be one of them). */
function nextStage(manifest: LoadedManifest, stage: Stage): Stage | undefined {
  return manifest.stages.find((s) => STAGES.indexOf(s) > STAGES.indexOf(stage));
}

/** Unleash did not take a flip (it refused: 502; it could not be reached: 503); no row was recorded. */
export class FlipNotTakenError extends AppError {
  constructor(status: number, code: string, message: string, cause: unknown) {
    super(status, code, message, { retriable: status === 503, cause, headers: status === 503 ? { 'retry-after': '5' } : {} });
  }
}

/** Forward moves go one listed stage at a time; backward moves may skip. */
function oneStepForward(manifest: LoadedManifest, from: Position, to: Position): void {
  const next = nextStage(manifest, from.stage);
  if (STAGES.indexOf(to.stage) > STAGES.indexOf(from.stage) && to.stage !== next) {
    throw new ConflictError(
      `the ${manifest.domain} domain is at ${from.stage}; it may move forward one stage at a time (next: ${next ?? `none, ${from.stage} is the last stage ${manifest.file} allows`}), not to ${to.stage}`,
      'stage_not_allowed',
    );
  }
}

/** The audit row could not commit after Unleash took the flip, and the flag was put back: nothing changed. */
export class FlipUndoneError extends AppError {
  constructor(message: string, cause: unknown) {
    super(503, 'flip_undone', message, { retriable: true, cause, headers: { 'retry-after': '5' } });
  }
}

/** The audit row could not commit and the flag could not be put back: Unleash holds a flip the audit log lacks. */
export class FlipNotRecordedError extends AppError {
  constructor(message: string, cause: unknown) {
    super(500, 'flip_not_recorded', message, { cause });
  }
}

const text = (p: Position) => `${p.stage} ${p.percentage}%`;
const detailOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * Flips and rolls back domains: through Unleash's Admin API, applied on this proxy at once, and
 * recorded in the audit log. Refuses a stage the domain's manifest does not allow, a flip to a stage
 * that sends traffic to an unhealthy service, and a forward jump past the next stage the manifest
 * allows (of legacy → shadow → canary → new → owned); going back is always allowed.
 *
 * A flip is one audit-log transaction that holds the domain's lock (so flips of a domain from every
 * proxy instance queue up, and each reads its "from" after the previous one committed): the row is
 * inserted, then Unleash is set, then the row commits. Unleash failing rolls the row back; the
 * commit failing puts Unleash back.
 */
export class FlipService {
  private readonly domains: Map<string, LoadedManifest>;

  constructor(
    manifests: LoadedManifest[],
    private readonly deps: { stages: StageStore; audit: Pick<AuditLog, 'transaction'>; applyNow: ApplyNow; targetHealthy: TargetHealth; logger: FlipLogger; lagOf?: LagOf; cutover?: CutoverDeps },
  ) {
    this.domains = new Map(manifests.map((m) => [m.domain, m]));
  }

  private manifestOf(domain: string): LoadedManifest {
    const manifest = this.domains.get(domain);
    if (!manifest) throw new NotFoundError(`unknown domain "${domain}" (known: ${[...this.domains.keys()].join(', ') || 'none'})`, 'unknown_domain');
    return manifest;
  }

  private async current(domain: string): Promise<Position> {
    const held = await this.deps.stages.stageOf(domainFlagName(domain));
    if (!held) throw new ServiceUnavailableError(`the flag ${domainFlagName(domain)} does not exist in Unleash yet`);
    return positionFromFlag({ stage: held.stage, rollout: held.percentage, enabled: held.enabled });
  }

  async flip(domain: string, request: FlipRequest, actor: string, mode: FlipMeta['mode'] = 'manual'): Promise<FlipOutcome> {
    const manifest = this.manifestOf(domain);
    if (!isStage(request.stage)) {
      throw new ValidationError(`invalid stage "${request.stage}" (one of ${STAGES.join(', ')})`, [{ field: 'stage', reason: `must be one of ${STAGES.join(', ')}` }]);
    }
    const to = requestedPosition(request.stage, request.percentage);
    allowedStage(manifest, to.stage);
    // The rules first (cheap, and the more useful refusal), then the data: the lag gate asks the
    // service over the network, so it runs outside the domain's lock; the step is checked again under it.
    const now = await this.current(domain);
    oneStepForward(manifest, now, to);
    const override = await this.lagGate(manifest, to.stage, request);
    const meta: FlipMeta = { actor, mode, adr: request.adr ?? null, reason: request.reason ?? null, override };
    if (movesWrites(now, to)) return this.cutOver(manifest, now, to, meta);
    return this.change(manifest, (from) => {
      oneStepForward(manifest, from, to);
      if (movesWrites(from, to)) throw new ConflictError(`${domain} moved to ${from.stage} meanwhile; flip again`, 'flip_conflict');
      return { to, meta };
    });
  }

  /**
   * A move into or out of owned: the fenced cutover (ADR-0025), whose "switch routes" step is the
   * usual audited flip. Refused when this proxy has no fence (no PROXY_DATABASE_URL) for the domain.
   */
  private async cutOver(manifest: LoadedManifest, from: Position, to: Position, meta: FlipMeta): Promise<FlipOutcome> {
    const domain = manifest.domain;
    const deps = this.deps.cutover;
    const service = manifest.service?.name;
    if (!deps || !service || !deps.fence.covers(domain)) {
      throw new ConflictError(`moving the writes of ${domain} needs the fenced cutover, which this proxy cannot run (it needs PROXY_DATABASE_URL and a service)`, 'cutover_unavailable');
    }
    if (!this.deps.targetHealthy(service)) throw new ConflictError(`${service} has no healthy instance, so ${domain} cannot move to ${to.stage}`, 'target_unhealthy');
    const outcome = await cutOver(deps, {
      domain,
      service,
      actor: meta.actor,
      fromStage: from.stage,
      toStage: to.stage,
      direction: to.stage === 'owned' ? 'to-service' : 'to-monolith',
      route: () =>
        this.change(manifest, (now) => {
          if (now.stage !== from.stage || now.percentage !== from.percentage) throw new ConflictError(`${domain} moved to ${text(now)} during the cutover`, 'flip_conflict');
          return { to, meta };
        }),
      unroute: async () => {
        await this.change(manifest, () => ({ to: from, meta: { ...meta, override: null, reason: `undo: the cutover to ${to.stage} failed after its routes moved` } }));
      },
    });
    return { ...outcome.routed, cutover: { id: outcome.cutoverId, fenceMs: outcome.fenceMs, steps: outcome.steps } };
  }

  /**
   * Lifts the write fence an interrupted cutover left up (`strangler fence <domain> --lift`): writes go
   * to the side the service's ownership record names. Refused while a cutover may still be running.
   */
  async liftFence(domain: string, actor: string): Promise<FenceRecovery & { domain: string; stage: string }> {
    const manifest = this.manifestOf(domain);
    const deps = this.deps.cutover;
    const service = manifest.service?.name;
    if (!deps || !service || !deps.fence.covers(domain)) throw new ConflictError(`${domain} has no write fence on this proxy (it needs PROXY_DATABASE_URL and a manifest that allows owned)`, 'cutover_unavailable');
    const stage = (await this.current(domain)).stage;
    // A live cutover waits at most the drain and four waiting steps; a fence older than that is stuck.
    const minAgeMs = deps.drainMs + 4 * deps.stepTimeoutMs + 30_000;
    return { domain, stage, ...(await liftStuckFence(deps, { domain, service, actor, stage, minAgeMs })) };
  }

  /**
   * A flip that sends traffic to a service fed by CDC waits for its data: refused while the service's
   * watermark lag is over the manifest's maxLagMs or unknown, unless forced with a reason. Returns
   * what a forced flip went past (for its audit row), or null.
   */
  private async lagGate(manifest: LoadedManifest, stage: Stage, request: FlipRequest): Promise<string | null> {
    const service = manifest.service?.name;
    if (!this.deps.lagOf || !service || !SERVING_STAGES.has(stage) || manifest.capture.tables.length === 0) return null;
    // A service with no healthy instance is refused by the health check, with its own reason.
    if (!this.deps.targetHealthy(service)) return null;
    if (request.force && !request.reason?.trim()) {
      throw new ValidationError('a forced flip needs a reason for the audit log', [{ field: 'reason', reason: 'is required with force' }]);
    }
    const lag = await this.deps.lagOf(service);
    const limit = manifest.maxLagMs;
    if (lag !== undefined && lag <= limit) return null;
    const problem = lag === undefined ? `lag of ${service} unknown (its watermark cannot be read)` : `lag ${Math.round(lag)} ms over maxLagMs ${limit}`;
    if (request.force) return problem;
    if (lag === undefined) {
      throw new ConflictError(`the watermark lag of ${service} is unknown (GET /cdc/watermark did not answer), so ${manifest.domain} cannot move to ${stage}; --force with --reason overrides`, 'lag_unknown');
    }
    throw new ConflictError(
      `${service} is ${Math.round(lag)} ms behind the monolith (watermark lag), over the limit of ${limit} ms (maxLagMs in ${manifest.file}); wait for it to catch up, or --force with --reason`,
      'lag_too_high',
    );
  }

  /** Back to the stage before the domain's last change in the audit log (a flip, or a change made in Unleash). */
  async rollback(domain: string, actor: string, reason?: string): Promise<FlipOutcome> {
    const manifest = this.manifestOf(domain);
    // A rollback that moves the writes is a cutover too: where it goes is read first, then checked again under the lock.
    const now = await this.current(domain);
    const last = await this.deps.audit.transaction(domain, (ledger) => ledger.last());
    if (last?.fromStage && (last.toStage === now.stage && last.toPercentage === now.percentage)) {
      const to = positionOf(last.fromStage, last.fromPercentage ?? undefined);
      if (movesWrites(now, to)) {
        allowedStage(manifest, to.stage);
        return this.cutOver(manifest, now, to, { actor, mode: 'manual', adr: last.adr, reason: reason ?? `rollback of flip #${last.id}` });
      }
    }
    return this.change(manifest, (from, last) => {
      if (!last?.fromStage) throw new ConflictError(`the ${domain} domain has no flip to roll back`, 'nothing_to_roll_back');
      const to = positionOf(last.fromStage, last.fromPercentage ?? undefined);
      allowedStage(manifest, to.stage);
      if (movesWrites(from, to)) throw new ConflictError(`${domain} moved to ${from.stage} meanwhile; roll back again`, 'flip_conflict');
      return { to, meta: { actor, mode: 'manual', adr: last.adr, reason: reason ?? `rollback of flip #${last.id}` } };
    });
  }

  /**
   * A guard's automatic change (ADR-0023): one stage back (`'back'`), or to `to` (a canary promotion).
   * Under the domain's lock, and only while the domain still is at `expected`: when several proxies
   * see the same breach, the first one moves the domain and the others find it moved and do nothing
   * (undefined). Audited as mode automatic with the guard's evidence. Going back is never refused for
   * an unhealthy target; a promotion keeps every rule of a flip (health, lag gate).
   */
  async automatic(domain: string, expected: Position, to: Position | 'back', actor: string, reason: string, evidence: Record<string, unknown>): Promise<FlipOutcome | undefined> {
    const manifest = this.manifestOf(domain);
    if (to !== 'back') {
      allowedStage(manifest, to.stage);
      await this.lagGate(manifest, to.stage, { stage: to.stage });
    }
    try {
      return await this.change(
        manifest,
        (from, last) => {
          if (from.stage !== expected.stage || from.percentage !== expected.percentage) throw new StaleDecision();
          const target = to === 'back' ? this.stageBack(manifest, from, last) : to;
          return { to: target, meta: { actor, mode: 'automatic', adr: last?.adr ?? manifest.adr, reason, evidence } };
        },
        { back: to === 'back' },
      );
    } catch (err) {
      if (err instanceof StaleDecision) return undefined;
      throw err;
    }
  }

  /** The allowed stage before `from`; a canary at the share it had before, else at the first promotion step. */
  private stageBack(manifest: LoadedManifest, from: Position, last: AuditRecord | undefined): Position {
    const stage = manifest.stages.filter((s) => STAGES.indexOf(s) < STAGES.indexOf(from.stage)).at(-1) ?? 'legacy';
    if (stage !== 'canary') return positionOf(stage);
    const percentage = last?.toStage === from.stage && last.fromStage === 'canary' && last.fromPercentage ? last.fromPercentage : (manifest.guard?.promotion?.steps[0] ?? 5);
    return positionOf('canary', percentage);
  }

  /**
   * Appends an `external` row when Unleash holds another stage for the domain than its last audit
   * row says: someone changed the flag in Unleash directly. Under the domain's lock and against
   * Unleash itself (not a client's cached copy), so that however many proxy instances notice the
   * change, it is recorded once, and a flip in flight is never mistaken for one.
   */
  async recordExternalChange(domain: string): Promise<AuditRecord | undefined> {
    this.manifestOf(domain);
    return this.deps.audit.transaction(domain, async (ledger) => (await this.reconcile(ledger, domain, await this.current(domain))).external);
  }

  /** The domain's last row, after appending an `external` one when Unleash holds `now` and the last row says otherwise. */
  private async reconcile(ledger: DomainLedger, domain: string, now: Position): Promise<{ last: AuditRecord | undefined; external?: AuditRecord }> {
    const last = await ledger.last();
    // Before a domain's first row there is nothing to compare with: the flag holds what it was created with.
    if (!last || (last.toStage === now.stage && last.toPercentage === now.percentage)) return { last };
    const external = await ledger.append({
      actor: 'unleash',
      domain,
      fromStage: last.toStage,
      fromPercentage: last.toPercentage,
      toStage: now.stage,
      toPercentage: now.percentage,
      adr: null,
      reason: EXTERNAL_CHANGE_REASON,
      mode: 'external',
    });
    return { last: external, external };
  }

  /**
   * One flip: under the domain's lock, read where Unleash is (recording a change made there first),
   * let `plan` decide where to go, append the row, set Unleash, commit; then apply it here.
   */
  private async change(manifest: LoadedManifest, plan: (from: Position, last: AuditRecord | undefined) => { to: Position; meta: FlipMeta }, options: { back?: boolean } = {}): Promise<FlipOutcome> {
    const domain = manifest.domain;
    const flag = domainFlagName(domain);
    let written: { from: Position; to: Position } | undefined;
    let outcome: FlipOutcome;
    try {
      outcome = await this.deps.audit.transaction(domain, async (ledger) => {
        const from = await this.current(domain);
        const { last } = await this.reconcile(ledger, domain, from);
        const { to, meta } = plan(from, last);
        if (!options.back && to.stage !== 'legacy' && !(manifest.service && this.deps.targetHealthy(manifest.service.name))) {
          throw new ConflictError(`${manifest.service?.name ?? 'the domain has no service and'} has no healthy instance, so ${domain} cannot move to ${to.stage}`, 'target_unhealthy');
        }
        const audit = await ledger.append({ domain, fromStage: from.stage, toStage: to.stage, fromPercentage: from.percentage, toPercentage: to.percentage, ...meta });
        await this.setStage(domain, from, to);
        written = { from, to };
        return { domain, from, to, audit };
      });
    } catch (err) {
      if (err instanceof AuditCommitError && written) throw await this.putBack(domain, written.from, written.to, err);
      throw err;
    }
    await this.deps.applyNow(flag, outcome.to.stage, rolloutOf(outcome.to));
    return outcome;
  }

  /**
   * Sets the stage in Unleash. When Unleash fails, the row is rolled back; before that, a call that
   * may have reached Unleash (a timeout, a failure half-way) is checked and undone.
   */
  private async setStage(domain: string, from: Position, to: Position): Promise<void> {
    try {
      await this.deps.stages.setStage(domainFlagName(domain), to.stage, to.percentage);
    } catch (err) {
      const status = err instanceof AppError ? err.status : 503;
      const code = err instanceof AppError ? err.code : 'unleash_unavailable';
      const state = await this.restoreIfMoved(domain, from);
      throw new FlipNotTakenError(status, code, `Unleash did not take the flip of ${domain} to ${text(to)} (${detailOf(err)}); ${state}, and nothing was recorded`, err);
    }
  }

  private async restoreIfMoved(domain: string, from: Position): Promise<string> {
    let now: Position;
    try {
      now = await this.current(domain);
    } catch (err) {
      return `whether the flag still holds ${text(from)} could not be checked (${detailOf(err)}); a proxy records any change it later finds in Unleash as external`;
    }
    if (now.stage === from.stage && now.percentage === from.percentage) return `${domain} stays at ${text(from)}`;
    try {
      await this.deps.stages.setStage(domainFlagName(domain), from.stage, from.percentage);
      return `the flag had moved to ${text(now)} and was put back to ${text(from)}`;
    } catch (err) {
      this.deps.logger.error('a failed flip left the flag moved in Unleash, and putting it back failed', { domain, from: text(from), to: text(now), detail: detailOf(err) });
      return `the flag moved to ${text(now)} and could not be put back to ${text(from)} (${detailOf(err)})`;
    }
  }

  /** Unleash took a flip whose row could not commit: put the flag back, so that no flip stands unrecorded. */
  private async putBack(domain: string, from: Position, to: Position, commit: AuditCommitError): Promise<FlipUndoneError | FlipNotRecordedError> {
    const what = `the audit log could not commit the flip of ${domain} from ${text(from)} to ${text(to)} (${commit.detail})`;
    try {
      await this.deps.stages.setStage(domainFlagName(domain), from.stage, from.percentage);
      return new FlipUndoneError(`${what}; Unleash was put back to ${text(from)}, so nothing changed. Retry when the proxy's database is back.`, commit);
    } catch (err) {
      this.deps.logger.error('flip stands in Unleash without an audit row: the commit failed and putting the flag back failed', {
        domain,
        from: text(from),
        to: text(to),
        commitError: commit.detail,
        putBackError: detailOf(err),
      });
      return new FlipNotRecordedError(`${what}, and putting Unleash back to ${text(from)} failed too (${detailOf(err)}): Unleash holds ${text(to)} with no audit row until a proxy records it as an external change.`, commit);
    }
  }
}
