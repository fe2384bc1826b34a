import { positionOf, rolloutOf, type LoadedManifest, type Stage } from '@strangler/manifests';
import { AppError } from '@strangler/platform';
import { describe, expect, it } from 'vitest';
import { FakeAuditLog } from '../audit/fake-audit-log.js';
import { FlipService, type StageStore } from './flip-service.js';

const catalog = {
  file: 'migrations/catalog.yaml',
  domain: 'catalog',
  adr: 9,
  service: { name: 'catalog-service', urls: ['http://127.0.0.1:1'], healthPath: '/healthz' },
  stages: ['legacy', 'shadow', 'canary', 'new', 'owned'],
  stage: 'legacy',
  percentage: 0,
  routes: [],
} as unknown as LoadedManifest;

/** Unleash's flags in memory; `fail` decides the outcome of the next setStage calls: ok, refused, or taken and then timed out. */
class FakeStages implements StageStore {
  readonly flags = new Map<string, { stage: string; percentage: number; enabled: boolean }>([['strangler.catalog', { stage: 'legacy', percentage: 0, enabled: true }]]);
  readonly fail: ('ok' | 'refuse' | 'take-then-time-out')[] = [];

  constructor(private readonly journal: string[]) {}

  async stageOf(flag: string) {
    this.journal.push(`read ${flag}`);
    return this.flags.get(flag);
  }

  async setStage(flag: string, stage: Stage, percentage: number) {
    const failure = this.fail.shift();
    if (failure === 'refuse') throw new AppError(502, 'unleash_refused', 'PUT answered 400');
    this.set(flag, stage, percentage);
    this.journal.push(`set ${flag} ${stage} ${percentage}`);
    if (failure === 'take-then-time-out') throw new AppError(503, 'unleash_unavailable', 'PUT timed out');
  }

  /** A change made in the Unleash UI: nothing but the flag knows of it. */
  set(flag: string, stage: Stage, percentage: number) {
    this.flags.set(flag, { stage, percentage: rolloutOf(positionOf(stage, percentage)), enabled: true });
  }
}

function setup(healthy = true, manifest: Partial<LoadedManifest> = {}, lag?: { ms: number | undefined }) {
  const journal: string[] = [];
  const stages = new FakeStages(journal);
  const audit = new FakeAuditLog(journal);
  const errors: { message: string; meta: Record<string, unknown> }[] = [];
  const service = new FlipService([{ ...catalog, ...manifest }], {
    stages,
    audit,
    applyNow: async (flag, stage, rollout) => void journal.push(`apply ${flag} ${stage} ${rollout}`),
    targetHealthy: () => healthy,
    logger: { error: (message, meta) => errors.push({ message, meta }) },
    ...(lag ? { lagOf: async () => lag.ms } : {}),
  });
  return { service, stages, audit, journal, errors };
}

describe('a domain without a service', () => {
  it('cannot leave legacy: the flip is refused naming its manifest, and nothing is recorded', async () => {
    const { service, audit } = setup(true, { service: undefined, stages: ['legacy'] });
    const err = await service.flip('catalog', { stage: 'shadow' }, 'ana').catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 409, code: 'stage_not_allowed', message: 'migrations/catalog.yaml allows legacy for catalog; not shadow' });
    expect(audit.records).toEqual([]);
  });
});

describe('flipping a domain', () => {
  it('sets the stage, applies it here at once and records from, to, who and why', async () => {
    const { service, journal, audit } = setup();

    await service.flip('catalog', { stage: 'shadow', adr: 9, reason: 'compare' }, 'ana');

    expect(journal).toContain('apply strangler.catalog shadow 100');
    expect(audit.records).toEqual([expect.objectContaining({ actor: 'ana', fromStage: 'legacy', toStage: 'shadow', fromPercentage: 0, toPercentage: 0, adr: 9, reason: 'compare', mode: 'manual' })]);
  });

  it('reads the stage under the domain lock, appends the row, sets Unleash, commits, and only then applies it here', async () => {
    const { service, journal } = setup();

    await service.flip('catalog', { stage: 'shadow' }, 'ana');

    // The first read (outside the lock) only checks the rules early; the decision is taken on the read under the lock.
    expect(journal).toEqual(['read strangler.catalog', 'lock catalog', 'read strangler.catalog', 'append manual legacy → shadow', 'set strangler.catalog shadow 0', 'commit', 'apply strangler.catalog shadow 100']);
  });

  it('queues flips of one domain, so the second starts from where the first went', async () => {
    const { service, audit } = setup();
    await service.flip('catalog', { stage: 'shadow' }, 'ana');

    await Promise.all([service.flip('catalog', { stage: 'canary', percentage: 10 }, 'ana'), service.flip('catalog', { stage: 'canary', percentage: 20 }, 'bo')]);

    const [, first, second] = audit.records;
    expect(second).toMatchObject({ fromStage: first!.toStage, fromPercentage: first!.toPercentage });
  });

  it('needs a percentage for canary', async () => {
    const { service } = setup();
    await service.flip('catalog', { stage: 'shadow' }, 'ana');
    await expect(service.flip('catalog', { stage: 'canary' }, 'ana')).rejects.toThrow(/needs a percentage/);
  });

  it('refuses a stage that skips one going forward, but allows any step back', async () => {
    const { service } = setup();
    await expect(service.flip('catalog', { stage: 'canary', percentage: 5 }, 'ana')).rejects.toMatchObject({ code: 'stage_not_allowed' });
    await service.flip('catalog', { stage: 'shadow' }, 'ana');
    await service.flip('catalog', { stage: 'canary', percentage: 5 }, 'ana');
    await expect(service.flip('catalog', { stage: 'legacy' }, 'ana')).resolves.toMatchObject({ to: { stage: 'legacy', percentage: 0 } });
  });

  it('refuses a stage its manifest does not allow, naming the file and the stages it allows', async () => {
    const { service } = setup(true, { stages: ['legacy', 'shadow', 'canary', 'new'] });
    await service.flip('catalog', { stage: 'shadow' }, 'ana');
    await service.flip('catalog', { stage: 'canary', percentage: 50 }, 'ana');
    await service.flip('catalog', { stage: 'new' }, 'ana');

    await expect(service.flip('catalog', { stage: 'owned' }, 'ana')).rejects.toMatchObject({
      status: 409,
      code: 'stage_not_allowed',
      message: 'migrations/catalog.yaml allows legacy, shadow, canary, new for catalog; not owned',
    });
  });

  it('refuses to move the writes to the service without the fenced cutover (a proxy without its database), and nothing changes', async () => {
    const { service, stages } = setup();
    await service.flip('catalog', { stage: 'shadow' }, 'ana');
    await service.flip('catalog', { stage: 'canary', percentage: 50 }, 'ana');
    await service.flip('catalog', { stage: 'new' }, 'ana');

    await expect(service.flip('catalog', { stage: 'owned' }, 'ana')).rejects.toMatchObject({ status: 409, code: 'cutover_unavailable' });
    expect(await stages.stageOf('strangler.catalog')).toMatchObject({ stage: 'new' });
  });

  it('moves forward to the next stage its manifest allows, skipping the stages it leaves out', async () => {
    const { service } = setup(true, { stages: ['legacy', 'canary', 'new'] });

    await expect(service.flip('catalog', { stage: 'new' }, 'ana')).rejects.toMatchObject({ code: 'stage_not_allowed', message: expect.stringMatching(/next: canary/) });
    await expect(service.flip('catalog', { stage: 'canary', percentage: 10 }, 'ana')).resolves.toMatchObject({ from: { stage: 'legacy' }, to: { stage: 'canary', percentage: 10 } });
  });

  it('refuses any stage but legacy when the target has no healthy instance, and records nothing', async () => {
    const { service, audit } = setup(false);
    await expect(service.flip('catalog', { stage: 'shadow' }, 'ana')).rejects.toMatchObject({ code: 'target_unhealthy', status: 409 });
    expect(audit.records).toEqual([]);
  });

  it('names the known domains when the domain is unknown', async () => {
    await expect(setup().service.flip('billing', { stage: 'shadow' }, 'ana')).rejects.toMatchObject({ status: 404, message: 'unknown domain "billing" (known: catalog)' });
  });
});

describe('a flip that fails half-way', () => {
  it('when Unleash refuses it, rolls the row back and passes Unleash’s error on', async () => {
    const { service, stages, audit, journal } = setup();
    stages.fail.push('refuse');

    const flip = service.flip('catalog', { stage: 'shadow' }, 'ana');

    await expect(flip).rejects.toMatchObject({ status: 502, code: 'unleash_refused', message: expect.stringMatching(/PUT answered 400\); catalog stays at legacy 0%, and nothing was recorded$/) });
    expect(audit.records).toEqual([]);
    expect(journal.at(-1)).toBe('rollback');
    expect(stages.flags.get('strangler.catalog')).toMatchObject({ stage: 'legacy' });
  });

  it('when Unleash took it but the call timed out, puts the flag back and records nothing', async () => {
    const { service, stages, audit } = setup();
    stages.fail.push('take-then-time-out');

    const flip = service.flip('catalog', { stage: 'shadow' }, 'ana');

    await expect(flip).rejects.toMatchObject({ status: 503, code: 'unleash_unavailable', message: expect.stringMatching(/had moved to shadow 0% and was put back to legacy 0%/) });
    expect(stages.flags.get('strangler.catalog')).toMatchObject({ stage: 'legacy' });
    expect(audit.records).toEqual([]);
  });

  it('when the audit log refuses the row, never touches Unleash', async () => {
    const { service, audit, journal } = setup();
    audit.failAppend = true;

    await expect(service.flip('catalog', { stage: 'shadow' }, 'ana')).rejects.toMatchObject({ status: 503, code: 'audit_log_unavailable' });
    expect(journal.filter((line) => line.startsWith('set'))).toEqual([]);
  });

  it('when the commit fails after Unleash took it, puts the flag back and says so', async () => {
    const { service, stages, audit, journal } = setup();
    audit.failCommit = true;

    const flip = service.flip('catalog', { stage: 'shadow' }, 'ana');

    await expect(flip).rejects.toMatchObject({ status: 503, code: 'flip_undone', message: expect.stringMatching(/Unleash was put back to legacy 0%, so nothing changed/) });
    expect(journal.slice(-3)).toEqual(['set strangler.catalog shadow 0', 'commit failed', 'set strangler.catalog legacy 0']);
    expect(stages.flags.get('strangler.catalog')).toMatchObject({ stage: 'legacy' });
    expect(audit.records).toEqual([]);
  });

  it('when the commit fails and putting the flag back fails too, logs it as an error with the domain, from and to, and says so', async () => {
    const { service, stages, audit, errors } = setup();
    audit.failCommit = true;
    stages.fail.push('ok', 'refuse');

    const flip = service.flip('catalog', { stage: 'shadow' }, 'ana');

    await expect(flip).rejects.toMatchObject({ status: 500, code: 'flip_not_recorded', message: expect.stringMatching(/Unleash holds shadow 0% with no audit row/) });
    expect(errors).toEqual([{ message: expect.stringMatching(/without an audit row/), meta: expect.objectContaining({ domain: 'catalog', from: 'legacy 0%', to: 'shadow 0%' }) }]);
  });
});

describe('rolling a domain back', () => {
  it('returns to the stage before the last flip', async () => {
    const { service, stages } = setup();
    await service.flip('catalog', { stage: 'shadow' }, 'ana');
    await service.flip('catalog', { stage: 'canary', percentage: 20 }, 'ana');

    const outcome = await service.rollback('catalog', 'bo');

    expect(outcome).toMatchObject({ from: { stage: 'canary', percentage: 20 }, to: { stage: 'shadow', percentage: 0 } });
    expect(stages.flags.get('strangler.catalog')).toMatchObject({ stage: 'shadow' });
    expect(outcome.audit).toMatchObject({ actor: 'bo', reason: 'rollback of flip #2' });
  });

  it('refuses when the domain was never flipped', async () => {
    await expect(setup().service.rollback('catalog', 'bo')).rejects.toMatchObject({ code: 'nothing_to_roll_back' });
  });
});

describe('a change made in Unleash outside the admin API', () => {
  it('is recorded once, as actor unleash in mode external, from the last row’s stage to the one Unleash holds', async () => {
    const { service, stages, audit } = setup();
    await service.flip('catalog', { stage: 'shadow' }, 'ana');
    stages.set('strangler.catalog', 'canary', 30);

    const first = await service.recordExternalChange('catalog');
    const again = await service.recordExternalChange('catalog');

    expect(first).toMatchObject({ actor: 'unleash', mode: 'external', fromStage: 'shadow', fromPercentage: 0, toStage: 'canary', toPercentage: 30, adr: null, reason: 'changed in Unleash outside the strangler admin API' });
    expect(again).toBeUndefined();
    expect(audit.records).toHaveLength(2);
  });

  it('is not recorded before the domain’s first flip: there is nothing to compare with', async () => {
    const { service, stages, audit } = setup();
    stages.set('strangler.catalog', 'shadow', 0);

    await expect(service.recordExternalChange('catalog')).resolves.toBeUndefined();
    expect(audit.records).toEqual([]);
  });

  it('is recorded before a flip that finds it, so each row starts where the one before ended', async () => {
    const { service, stages, audit } = setup();
    await service.flip('catalog', { stage: 'shadow' }, 'ana');
    stages.set('strangler.catalog', 'canary', 30);

    await service.flip('catalog', { stage: 'canary', percentage: 40 }, 'ana');

    expect(audit.records.map((r) => `${r.mode} ${r.fromStage} ${r.fromPercentage} → ${r.toStage} ${r.toPercentage}`)).toEqual([
      'manual legacy 0 → shadow 0',
      'external shadow 0 → canary 30',
      'manual canary 30 → canary 40',
    ]);
  });

  it('is what a rollback undoes, when it came last', async () => {
    const { service, stages } = setup();
    await service.flip('catalog', { stage: 'shadow' }, 'ana');
    stages.set('strangler.catalog', 'canary', 30);
    await service.recordExternalChange('catalog');

    const outcome = await service.rollback('catalog', 'bo');

    expect(outcome).toMatchObject({ from: { stage: 'canary', percentage: 30 }, to: { stage: 'shadow', percentage: 0 } });
  });
});

describe('a flip gated on the watermark lag (ADR-0021)', () => {
  const fed = { capture: { tables: ['public.products'] }, maxLagMs: 2000, stage: 'legacy' } as Partial<LoadedManifest>;

  it('is refused with lag_too_high naming the lag and the limit while the service is behind, and nothing is recorded', async () => {
    const { service, audit, stages } = setup(true, fed, { ms: 5300 });
    stages.set('strangler.catalog', 'shadow', 0);

    const refused = await service.flip('catalog', { stage: 'canary', percentage: 10, reason: 'first users' }, 'ana').catch((err: unknown) => err);

    expect(refused).toMatchObject({ status: 409, code: 'lag_too_high' });
    expect((refused as Error).message).toMatch(/5300 ms.*2000 ms/);
    expect(audit.records).toEqual([]);
  });

  it('is refused with lag_unknown when the service cannot say how far it is', async () => {
    const { service } = setup(true, fed, { ms: undefined });
    await expect(service.flip('catalog', { stage: 'shadow' }, 'ana')).resolves.toBeDefined();
    await expect(service.flip('catalog', { stage: 'canary', percentage: 10 }, 'ana')).rejects.toMatchObject({ status: 409, code: 'lag_unknown' });
  });

  it('goes through when forced with a reason, and the audit row says what it overrode', async () => {
    const { service, audit, stages } = setup(true, fed, { ms: 5300 });
    stages.set('strangler.catalog', 'shadow', 0);

    await service.flip('catalog', { stage: 'canary', percentage: 10, reason: 'the lag is a replay', force: true }, 'ana');

    expect(audit.records.at(-1)).toMatchObject({ toStage: 'canary', reason: 'the lag is a replay', override: 'lag 5300 ms over maxLagMs 2000' });
  });

  it('wants a reason to force', async () => {
    const { service, stages } = setup(true, fed, { ms: 5300 });
    stages.set('strangler.catalog', 'shadow', 0);
    await expect(service.flip('catalog', { stage: 'canary', percentage: 10, force: true }, 'ana')).rejects.toMatchObject({ status: 400 });
  });

  it('checks the stage rules before the lag: a step the rules refuse is refused for that, whatever the lag', async () => {
    const { service } = setup(true, fed, { ms: undefined });
    await expect(service.flip('catalog', { stage: 'new' }, 'ana')).rejects.toMatchObject({ status: 409, code: 'stage_not_allowed' });
  });

  it('lets a service within the limit through, and never gates going back', async () => {
    const { service, stages, audit } = setup(true, fed, { ms: 150 });
    stages.set('strangler.catalog', 'shadow', 0);
    await service.flip('catalog', { stage: 'canary', percentage: 10 }, 'ana');
    const behind = setup(true, fed, { ms: 99_000 });
    behind.stages.set('strangler.catalog', 'new', 100);

    await behind.service.flip('catalog', { stage: 'legacy' }, 'ana');

    expect(audit.records.at(-1)).toMatchObject({ toStage: 'canary', override: null });
    expect(behind.audit.records.at(-1)).toMatchObject({ toStage: 'legacy', override: null });
  });
});
