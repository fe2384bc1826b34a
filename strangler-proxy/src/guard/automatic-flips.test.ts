import { positionOf, rolloutOf, type LoadedManifest, type Stage } from '@strangler/manifests';
import { describe, expect, it } from 'vitest';
import { FakeAuditLog } from '../audit/fake-audit-log.js';
import { FlipService, type StageStore } from '../admin/flip-service.js';

const catalog = {
  file: 'migrations/catalog.yaml',
  domain: 'catalog',
  adr: 9,
  service: { name: 'catalog-service', urls: ['http://127.0.0.1:1'], healthPath: '/healthz' },
  stages: ['legacy', 'shadow', 'canary', 'new'],
  stage: 'legacy',
  percentage: 0,
  routes: [],
  capture: { tables: [] },
} as unknown as LoadedManifest;

class Stages implements StageStore {
  flag = { stage: 'canary', percentage: 25, enabled: true };
  async stageOf() {
    return this.flag;
  }
  async setStage(_flag: string, stage: Stage, percentage: number) {
    this.flag = { stage, percentage: rolloutOf(positionOf(stage, percentage)), enabled: true };
  }
}

function setup(healthy: boolean) {
  const stages = new Stages();
  const audit = new FakeAuditLog([]);
  const flips = new FlipService([catalog], { stages, audit, applyNow: async () => {}, targetHealthy: () => healthy, logger: { error: () => {} } });
  return { stages, audit, flips };
}

describe("a guard's automatic change", () => {
  it('rolls back one stage even when the service is unhealthy, audited as automatic by guard with the evidence', async () => {
    const { flips, audit, stages } = setup(false);
    const outcome = await flips.automatic('catalog', { stage: 'canary', percentage: 25 }, 'back', 'guard', 'guard breach', { errorRate: 0.5, windowSeconds: 60 });
    expect(outcome?.to).toEqual({ stage: 'shadow', percentage: 0 });
    expect(stages.flag.stage).toBe('shadow');
    expect(audit.records.at(-1)).toMatchObject({ actor: 'guard', mode: 'automatic', fromStage: 'canary', toStage: 'shadow', evidence: { errorRate: 0.5, windowSeconds: 60 } });
  });

  it('does nothing when the domain has left the measured position (another proxy acted first)', async () => {
    const { flips, audit } = setup(true);
    expect(await flips.automatic('catalog', { stage: 'canary', percentage: 5 }, 'back', 'guard', 'guard breach', {})).toBeUndefined();
    expect(audit.records).toEqual([]);
  });

  it('promotes a canary to the next percentage', async () => {
    const { flips, stages } = setup(true);
    await flips.automatic('catalog', { stage: 'canary', percentage: 25 }, { stage: 'canary', percentage: 50 }, 'guard', 'held', {});
    expect(stages.flag).toMatchObject({ stage: 'canary', percentage: 50 });
  });
});
