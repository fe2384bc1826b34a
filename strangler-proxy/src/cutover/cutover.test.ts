import { describe, expect, it } from 'vitest';
import type { CutoverJournal, CutoverRecord } from './cutover-journal.js';
import { cutOver, liftStuckFence, type CutoverDeps } from './cutover.js';
import type { ServiceControl, SyncStatus } from './service-control.js';
import type { WriteSide } from './write-fence.js';

/** A service, a fence and a journal in memory that log every call, in order. */
function fakes(sync: Partial<SyncStatus> = {}) {
  const calls: string[] = [];
  const state = { owner: 'monolith', epoch: 3, fenced: false, fencedSince: null as Date | null, writesTo: 'legacy' as WriteSide, monolithWriter: 'monolith', sealFails: false };
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
    watermark: async (_service, _after, waitMs) => {
      await new Promise((r) => setTimeout(r, Math.min(waitMs, 5)));
      return status.watermarkLsn;
    },
    setMonolithWriter: async (_service, _domain, owner) => {
      if (state.sealFails) throw new Error('the reverse sync does not answer');
      calls.push(`monolith writer ${owner}`);
      state.monolithWriter = owner;
      return { owner, monolithLsn: 150n };
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
      state: async () => ({ writesTo: state.writesTo, fencedSince: state.fenced ? (state.fencedSince ?? new Date()) : null }),
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
  it('moves the writes to the service in order: routes, fence, seal the monolith, ownership, then the fence lifts towards the service', async () => {
    const { deps, calls, state, records } = fakes();
    const outcome = await cutOver(deps, plan(calls, 'to-service'));
    expect(calls).toEqual(['routes', 'fence up', 'monolith writer service', 'owner service', 'fence down, writes to new']);
    expect(state).toMatchObject({ owner: 'service', writesTo: 'new', fenced: false, monolithWriter: 'service' });
    expect(records[0]).toMatchObject({ outcome: 'done', auditId: 7 });
    expect(outcome.fenceMs).toBeGreaterThanOrEqual(0);
    expect(outcome.steps.map((s) => s.step)).toEqual(['reverse sync running', 'read the ownership', 'switch routes', 'fence writes', "seal the monolith's tables", 'forward watermark', 'ownership', 'lift the fence']);
    expect(records[0]!.steps).toEqual(outcome.steps);
  });

  it('waits for the forward watermark to reach the position the seal returned, not an earlier one', async () => {
    // The reverse sync reports 100, the seal 150: a watermark of 120 is not enough.
    const { deps, calls, state } = fakes({ watermarkLsn: 120n });
    await expect(cutOver(deps, plan(calls, 'to-service'))).rejects.toMatchObject({ step: 'forward watermark' });
    expect(calls).toEqual(['routes', 'fence up', 'monolith writer service', 'monolith writer monolith', 'fence down, writes to legacy', 'routes back']);
    expect(state).toMatchObject({ owner: 'monolith', monolithWriter: 'monolith', writesTo: 'legacy' });
  });

  it('refuses without touching the ownership when the monolith cannot be sealed', async () => {
    const { deps, calls, state, records } = fakes();
    state.sealFails = true;
    await expect(cutOver(deps, plan(calls, 'to-service'))).rejects.toMatchObject({ step: "seal the monolith's tables", message: expect.stringMatching(/does not answer.*everything was put back/) });
    expect(calls).toEqual(['routes', 'fence up', 'fence down, writes to legacy', 'routes back']);
    expect(records[0]).toMatchObject({ outcome: 'refused', failedStep: "seal the monolith's tables", steps: [{ step: 'reverse sync running' }, { step: 'read the ownership' }, { step: 'switch routes' }, { step: 'fence writes' }] });
  });

  it('refuses and puts everything back when the forward watermark does not reach the monolith in time', async () => {
    const { deps, calls, state, records } = fakes({ watermarkLsn: 50n });
    await expect(cutOver(deps, plan(calls, 'to-service'))).rejects.toMatchObject({ status: 409, code: 'cutover_refused', step: 'forward watermark', message: expect.stringMatching(/failed at step "forward watermark".*everything was put back/) });
    expect(calls).toEqual(['routes', 'fence up', 'monolith writer service', 'monolith writer monolith', 'fence down, writes to legacy', 'routes back']);
    expect(state).toMatchObject({ owner: 'monolith', writesTo: 'legacy', fenced: false, monolithWriter: 'monolith' });
    expect(records[0]).toMatchObject({ outcome: 'refused', failedStep: 'forward watermark' });
  });

  it('switches the routes before it fences anything, and refuses untouched when they cannot move', async () => {
    const { deps, calls, state } = fakes();
    await expect(cutOver(deps, plan(calls, 'to-service', true))).rejects.toMatchObject({ step: 'switch routes', message: expect.stringMatching(/Unleash refused/) });
    expect(calls).toEqual([]);
    expect(state).toMatchObject({ owner: 'monolith', writesTo: 'legacy', monolithWriter: 'monolith', fenced: false });
  });

  it('refuses before anything moves when the reverse sync is not consuming', async () => {
    const { deps, calls, state, records } = fakes({ reverse: { consuming: false, pendingEvents: 0, lagMs: 0, handledEvents: 0, monolithLsn: 100n } });
    await expect(cutOver(deps, plan(calls, 'to-service'))).rejects.toMatchObject({ step: 'reverse sync running', message: expect.stringMatching(/not consuming/) });
    expect(calls).toEqual([]);
    expect(state).toMatchObject({ owner: 'monolith', writesTo: 'legacy', monolithWriter: 'monolith', fenced: false });
    expect(records[0]).toMatchObject({ outcome: 'refused', fenceMs: null });
  });

  it('gives the ownership back, lifts the fence and puts the routes back when the last step fails', async () => {
    const { deps, calls, state } = fakes();
    const lift = deps.fence.lift;
    // Lifting the fence towards the service fails (the proxy's database went away for a moment).
    deps.fence.lift = async (domain, side) => {
      if (side === 'new') throw new Error('connection terminated');
      return lift(domain, side);
    };
    await expect(cutOver(deps, plan(calls, 'to-service'))).rejects.toMatchObject({ step: 'lift the fence' });
    expect(calls).toEqual(['routes', 'fence up', 'monolith writer service', 'owner service', 'owner monolith', 'monolith writer monolith', 'fence down, writes to legacy', 'routes back']);
    expect(state).toMatchObject({ owner: 'monolith', writesTo: 'legacy', monolithWriter: 'monolith', fenced: false });
  });

  it('refuses the change of owner when another changed it after it was read', async () => {
    const { deps, calls, state } = fakes();
    const raise = deps.fence.raise;
    deps.fence.raise = async (domain, drainMs) => {
      state.epoch++; // someone else's change of owner while this cutover waited for the fence
      return raise(domain, drainMs);
    };
    await expect(cutOver(deps, plan(calls, 'to-service'))).rejects.toMatchObject({ step: 'ownership', message: expect.stringMatching(/epoch_mismatch/) });
    expect(calls).toEqual(['routes', 'fence up', 'monolith writer service', 'monolith writer monolith', 'fence down, writes to legacy', 'routes back']);
    expect(state).toMatchObject({ owner: 'monolith', writesTo: 'legacy', monolithWriter: 'monolith', fenced: false });
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
    state.monolithWriter = 'service';
    await cutOver(deps, plan(calls, 'to-monolith'));
    expect(calls).toEqual(['routes', 'fence up', 'owner monolith', 'monolith writer monolith', 'fence down, writes to legacy']);
    expect(state).toMatchObject({ owner: 'monolith', writesTo: 'legacy', monolithWriter: 'monolith' });
  });

  it('gives the ownership back to the service when the monolith cannot be unsealed, and leaves it sealed', async () => {
    const { deps, calls, state } = fakes();
    state.owner = 'service';
    state.writesTo = 'new';
    state.monolithWriter = 'service';
    state.sealFails = true;
    await expect(cutOver(deps, plan(calls, 'to-monolith'))).rejects.toMatchObject({ step: "unseal the monolith's tables" });
    expect(calls).toEqual(['routes', 'fence up', 'owner monolith', 'owner service', 'fence down, writes to new', 'routes back']);
    expect(state).toMatchObject({ owner: 'service', writesTo: 'new', monolithWriter: 'service' });
  });
});

describe('lifting a fence an interrupted cutover left up', () => {
  const lift = (deps: CutoverDeps, minAgeMs = 60_000) => liftStuckFence(deps, { domain: 'catalog', service: 'catalog-service', actor: 'ana', stage: 'new', minAgeMs });

  it('sends writes to the side the ownership record names and makes the monolith agree', async () => {
    const { deps, calls, state, records } = fakes();
    // Killed after the ownership moved: the service owns the writes, the fence is still up.
    Object.assign(state, { owner: 'service', fenced: true, fencedSince: new Date(Date.now() - 120_000), writesTo: 'legacy', monolithWriter: 'service' });
    const lifted = await lift(deps);
    expect(lifted).toMatchObject({ owner: 'service', writesTo: 'new' });
    expect(lifted.fencedForMs).toBeGreaterThanOrEqual(120_000);
    expect(calls).toEqual(['monolith writer service', 'fence down, writes to new']);
    expect(records[0]).toMatchObject({ outcome: 'done', detail: expect.stringMatching(/lifted by hand.*the service owns the writes/) });
  });

  it('opens the monolith again when the cutover was killed before the ownership moved', async () => {
    const { deps, calls, state } = fakes();
    Object.assign(state, { fenced: true, fencedSince: new Date(Date.now() - 120_000), monolithWriter: 'service' });
    expect(await lift(deps)).toMatchObject({ owner: 'monolith', writesTo: 'legacy' });
    expect(calls).toEqual(['monolith writer monolith', 'fence down, writes to legacy']);
    expect(state.monolithWriter).toBe('monolith');
  });

  it('refuses while a cutover may still be running, and when no fence is up', async () => {
    const { deps, calls, state } = fakes();
    await expect(lift(deps)).rejects.toMatchObject({ status: 409, code: 'fence_not_raised' });
    Object.assign(state, { fenced: true, fencedSince: new Date(Date.now() - 5_000) });
    await expect(lift(deps)).rejects.toMatchObject({ status: 409, code: 'cutover_may_be_running', message: expect.stringMatching(/went up 5 s ago.*at most 60 s/) });
    expect(calls).toEqual([]);
  });
});
