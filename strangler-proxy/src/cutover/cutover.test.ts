import { describe, expect, it } from 'vitest';
import type { CutoverJournal, CutoverRecord } from './cutover-journal.js';
import { cutOver, type CutoverDeps } from './cutover.js';
import type { ServiceControl, SyncStatus } from './service-control.js';
import type { WriteSide } from './write-fence.js';

/** A service, a fence and a journal in memory that log every call, in order. */
function fakes(sync: Partial<SyncStatus> = {}) {
  const calls: string[] = [];
  const state = { owner: 'monolith', epoch: 3, fenced: false, writesTo: 'legacy' as WriteSide };
  const status: SyncStatus = {
    watermarkLsn: 200n,
    owner: 'monolith',
    epoch: 3,
    outboxEvents: 10,
    reverse: { consuming: true, pendingEvents: 0, lagMs: 0, handledEvents: 10, monolithLsn: 100n },
    ...sync,
  };
  const control: ServiceControl = {
    sync: async () => ({ ...status, owner: state.owner as 'monolith', epoch: state.epoch }),
    ownership: async () => ({ owner: state.owner, epoch: state.epoch }),
    setOwner: async (_service, _domain, owner, expectedEpoch) => {
      if (expectedEpoch !== state.epoch) throw new Error('epoch_mismatch');
      calls.push(`owner ${owner}`);
      state.owner = owner;
      state.epoch++;
      return { owner, epoch: state.epoch };
    },
  };
  const records: Partial<CutoverRecord>[] = [];
  const journal: CutoverJournal = {
    start: async (entry) => records.push({ ...entry }),
    finish: async (id, result) => void Object.assign(records[id - 1]!, result),
    last: async () => undefined,
  };
  const deps: CutoverDeps = {
    fence: {
      covers: () => true,
      raise: async () => {
        calls.push('fence up');
        state.fenced = true;
        return { raisedAt: new Date(), writesTo: state.writesTo };
      },
      lift: async (_domain, side) => {
        calls.push(`fence down, writes to ${side}`);
        state.fenced = false;
        state.writesTo = side;
      },
    },
    control,
    journal,
    drainMs: 100,
    stepTimeoutMs: 200,
    pollMs: 5,
  };
  return { deps, calls, state, records };
}

function plan(calls: string[], direction: 'to-service' | 'to-monolith', routeFails = false) {
  return {
    domain: 'catalog',
    service: 'catalog-service',
    actor: 'ana',
    fromStage: direction === 'to-service' ? 'new' : 'owned',
    toStage: direction === 'to-service' ? 'owned' : 'new',
    direction,
    route: async () => {
      if (routeFails) throw new Error('Unleash refused');
      calls.push('routes');
      return { audit: { id: 7 } };
    },
    unroute: async () => void calls.push('routes back'),
  };
}

describe('the fenced cutover', () => {
  it('moves the writes to the service in order: fence, ownership, routes, then the fence lifts towards the service', async () => {
    const { deps, calls, state, records } = fakes();
    const outcome = await cutOver(deps, plan(calls, 'to-service'));
    expect(calls).toEqual(['fence up', 'owner service', 'routes', 'fence down, writes to new']);
    expect(state).toMatchObject({ owner: 'service', writesTo: 'new', fenced: false });
    expect(records[0]).toMatchObject({ outcome: 'done', auditId: 7 });
    expect(outcome.fenceMs).toBeGreaterThanOrEqual(0);
  });

  it('refuses and puts everything back when the forward watermark does not reach the monolith in time', async () => {
    const { deps, calls, state, records } = fakes({ watermarkLsn: 50n });
    await expect(cutOver(deps, plan(calls, 'to-service'))).rejects.toMatchObject({ status: 409, code: 'cutover_refused', step: 'forward watermark', message: expect.stringMatching(/failed at step "forward watermark".*everything was put back/) });
    expect(calls).toEqual(['fence up', 'fence down, writes to legacy']);
    expect(state).toMatchObject({ owner: 'monolith', writesTo: 'legacy', fenced: false });
    expect(records[0]).toMatchObject({ outcome: 'refused', failedStep: 'forward watermark' });
  });

  it('gives the ownership back when the routes cannot move, and names that step', async () => {
    const { deps, calls, state } = fakes();
    await expect(cutOver(deps, plan(calls, 'to-service', true))).rejects.toMatchObject({ step: 'switch routes', message: expect.stringMatching(/Unleash refused/) });
    expect(calls).toEqual(['fence up', 'owner service', 'owner monolith', 'fence down, writes to legacy']);
    expect(state).toMatchObject({ owner: 'monolith', writesTo: 'legacy' });
  });

  it('moves the writes back only once the reverse sync has handled every outbox event', async () => {
    const { deps, calls, state } = fakes({ reverse: { consuming: true, pendingEvents: 0, lagMs: 0, handledEvents: 8, monolithLsn: 100n } });
    state.owner = 'service';
    state.writesTo = 'new';
    await expect(cutOver(deps, plan(calls, 'to-monolith'))).rejects.toMatchObject({ step: 'reverse sync caught up', message: expect.stringMatching(/2 outbox events not yet received/) });
    expect(state).toMatchObject({ owner: 'service', writesTo: 'new', fenced: false });
  });

  it('moves the writes back to the monolith when the reverse sync has caught up', async () => {
    const { deps, calls, state } = fakes();
    state.owner = 'service';
    state.writesTo = 'new';
    await cutOver(deps, plan(calls, 'to-monolith'));
    expect(calls).toEqual(['fence up', 'owner monolith', 'routes', 'fence down, writes to legacy']);
    expect(state).toMatchObject({ owner: 'monolith', writesTo: 'legacy' });
  });
});
