import { STAGES, type LoadedManifest, type Stage } from '@strangler/manifests';
import { ConflictError, NotFoundError, ServiceUnavailableError, ValidationError } from '@strangler/platform';
import type { AuditLog, AuditRecord, FlipMode } from '../audit/audit-log.js';
import { domainFlagName } from '../flags/flag-names.js';
import { isStage } from '../flags/flag-reader.js';
import { rolloutFor } from '../flags/stage-strategy.js';

/** What the flip service needs from Unleash's Admin API. */
export interface StageStore {
  stageOf(flag: string): Promise<{ stage: string; percentage: number; enabled: boolean } | undefined>;
  setStage(flag: string, stage: Stage, percentage: number): Promise<void>;
}

/** Makes this process route by the new stage now rather than at the next poll. */
export type ApplyNow = (flag: string, stage: Stage, rollout: number) => Promise<void>;

/** True when at least one instance of the service passes its health checks and has a closed breaker. */
export type TargetHealth = (service: string) => boolean;

export interface FlipRequest {
  stage: string;
  percentage?: number;
  adr?: number;
  reason?: string;
}

export interface FlipOutcome {
  domain: string;
  from: { stage: Stage; percentage: number };
  to: { stage: Stage; percentage: number };
  audit: AuditRecord;
}

/** The percentage recorded for a stage: canary needs one, the other stages imply it. */
function percentageFor(stage: Stage, given: number | undefined): number {
  if (stage === 'canary') {
    if (given === undefined) throw new ValidationError('stage canary needs a percentage (0-100)', [{ field: 'percentage', reason: 'is required for canary' }]);
    return given;
  }
  return impliedPercentage(stage);
}

/** The share of users served by the new service that a stage other than canary implies. */
function impliedPercentage(stage: Stage): number {
  return stage === 'new' || stage === 'owned' ? 100 : 0;
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

/**
 * Flips and rolls back domains: through Unleash's Admin API, applied on this proxy at once, and
 * recorded in the audit log. Refuses a stage the domain's manifest does not allow, a flip to a stage
 * that sends traffic to an unhealthy service, and a forward jump past the next stage the manifest
 * allows (of legacy → shadow → canary → new → owned); going back is always allowed.
 */
export class FlipService {
  private readonly domains: Map<string, LoadedManifest>;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    manifests: LoadedManifest[],
    private readonly deps: { stages: StageStore; audit: AuditLog; applyNow: ApplyNow; targetHealthy: TargetHealth },
  ) {
    this.domains = new Map(manifests.map((m) => [m.domain, m]));
  }

  private manifestOf(domain: string): LoadedManifest {
    const manifest = this.domains.get(domain);
    if (!manifest) throw new NotFoundError(`unknown domain "${domain}" (known: ${[...this.domains.keys()].join(', ') || 'none'})`, 'unknown_domain');
    return manifest;
  }

  /** One flip at a time per process: the "from" read and the write must not interleave. */
  private serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => {});
    return run;
  }

  private async current(domain: string): Promise<{ stage: Stage; percentage: number }> {
    const held = await this.deps.stages.stageOf(domainFlagName(domain));
    if (!held) throw new ServiceUnavailableError(`the flag ${domainFlagName(domain)} does not exist in Unleash yet`);
    const stage = held.enabled && isStage(held.stage) ? held.stage : 'legacy';
    return { stage, percentage: stage === 'canary' ? held.percentage : impliedPercentage(stage) };
  }

  async flip(domain: string, request: FlipRequest, actor: string, mode: FlipMode = 'manual'): Promise<FlipOutcome> {
    const manifest = this.manifestOf(domain);
    if (!isStage(request.stage)) {
      throw new ValidationError(`invalid stage "${request.stage}" (one of ${STAGES.join(', ')})`, [{ field: 'stage', reason: `must be one of ${STAGES.join(', ')}` }]);
    }
    const to = { stage: request.stage, percentage: percentageFor(request.stage, request.percentage) };
    allowedStage(manifest, to.stage);
    return this.serial(async () => {
      const from = await this.current(domain);
      const next = nextStage(manifest, from.stage);
      if (STAGES.indexOf(to.stage) > STAGES.indexOf(from.stage) && to.stage !== next) {
        throw new ConflictError(
          `the ${domain} domain is at ${from.stage}; it may move forward one stage at a time (next: ${next ?? `none, ${from.stage} is the last stage ${manifest.file} allows`}), not to ${to.stage}`,
          'stage_not_allowed',
        );
      }
      return this.apply(manifest, from, to, { actor, mode, adr: request.adr ?? null, reason: request.reason ?? null });
    });
  }

  /** Back to the stage before the domain's last flip in the audit log. */
  async rollback(domain: string, actor: string, reason?: string): Promise<FlipOutcome> {
    const manifest = this.manifestOf(domain);
    return this.serial(async () => {
      const [last] = await this.deps.audit.list({ domain, limit: 1 });
      if (!last?.fromStage) throw new ConflictError(`the ${domain} domain has no flip to roll back`, 'nothing_to_roll_back');
      const from = await this.current(domain);
      const to = { stage: last.fromStage, percentage: last.fromPercentage ?? 0 };
      allowedStage(manifest, to.stage);
      return this.apply(manifest, from, to, { actor, mode: 'manual', adr: last.adr, reason: reason ?? `rollback of flip #${last.id}` });
    });
  }

  private async apply(
    manifest: LoadedManifest,
    from: { stage: Stage; percentage: number },
    to: { stage: Stage; percentage: number },
    meta: { actor: string; mode: FlipMode; adr: number | null; reason: string | null },
  ): Promise<FlipOutcome> {
    if (to.stage !== 'legacy' && !this.deps.targetHealthy(manifest.service.name)) {
      throw new ConflictError(`refused: ${manifest.service.name} has no healthy instance, so ${manifest.domain} cannot move to ${to.stage}`, 'target_unhealthy');
    }
    const flag = domainFlagName(manifest.domain);
    await this.deps.stages.setStage(flag, to.stage, to.percentage);
    await this.deps.applyNow(flag, to.stage, rolloutFor(to.stage, to.percentage));
    const audit = await this.deps.audit.append({
      actor: meta.actor,
      domain: manifest.domain,
      fromStage: from.stage,
      toStage: to.stage,
      fromPercentage: from.percentage,
      toPercentage: to.percentage,
      adr: meta.adr,
      reason: meta.reason,
      mode: meta.mode,
    });
    return { domain: manifest.domain, from, to, audit };
  }
}
