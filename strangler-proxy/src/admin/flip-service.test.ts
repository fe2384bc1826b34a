import type { LoadedManifest, Stage } from '@strangler/manifests';
import { describe, expect, it } from 'vitest';
import { FakeAuditLog } from '../audit/audit-log.js';
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

class FakeStages implements StageStore {
  readonly flags = new Map<string, { stage: string; percentage: number; enabled: boolean }>([['strangler.catalog', { stage: 'legacy', percentage: 0, enabled: true }]]);
  async stageOf(flag: string) {
    return this.flags.get(flag);
  }
  async setStage(flag: string, stage: Stage, percentage: number) {
    this.flags.set(flag, { stage, percentage: stage === 'canary' ? percentage : stage === 'legacy' ? 0 : 100, enabled: true });
  }
}

function setup(healthy = true, manifest: Partial<LoadedManifest> = {}) {
  const stages = new FakeStages();
  const audit = new FakeAuditLog();
  const applied: string[] = [];
  const service = new FlipService([{ ...catalog, ...manifest }], { stages, audit, applyNow: async (flag, stage, rollout) => void applied.push(`${flag} ${stage} ${rollout}`), targetHealthy: () => healthy });
  return { service, stages, audit, applied };
}

describe('flipping a domain', () => {
  it('sets the stage, applies it here at once and records from, to, who and why', async () => {
    const { service, applied, audit } = setup();

    await service.flip('catalog', { stage: 'shadow', adr: 9, reason: 'compare' }, 'ana');

    expect(applied).toEqual(['strangler.catalog shadow 100']);
    expect(audit.records).toEqual([expect.objectContaining({ actor: 'ana', fromStage: 'legacy', toStage: 'shadow', fromPercentage: 0, toPercentage: 0, adr: 9, reason: 'compare', mode: 'manual' })]);
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
