import { ConflictError } from '@strangler/platform';
import type { CutoverJournal } from './cutover-journal.js';
import type { ServiceControl, SyncStatus } from './service-control.js';
import type { WriteFence, WriteSide } from './write-fence.js';

/** What a cutover needs: the fence, the service's control API, the journal, and its limits. */
export interface CutoverDeps {
  fence: Pick<WriteFence, 'covers' | 'raise' | 'lift' | 'state'>;
  control: ServiceControl;
  journal: CutoverJournal;
  /** The longest the writes in flight may take to finish when the fence goes up. */
  drainMs: number;
  /** The longest each waiting step (watermark, reverse sync) may take. */
  stepTimeoutMs: number;
  /** How often a waiting step asks again. */
  pollMs?: number;
}

export type CutoverDirection = 'to-service' | 'to-monolith';

export interface CutoverOutcome<A> {
  cutoverId: number;
  fenceMs: number;
  routed: A;
  /** Each step done and how long it took, ms. */
  steps: CutoverStep[];
}

export interface CutoverStep {
  step: string;
  ms: number;
}

/** A cutover refused at one of its steps; everything it had done was put back. */
export class CutoverRefusedError extends ConflictError {
  constructor(
    message: string,
    readonly step: string,
  ) {
    super(message, 'cutover_refused');
  }
}

const detailOf = (err: unknown) => (err instanceof Error ? err.message : String(err));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Moves a domain's writes between the monolith and its service as one operation (ADR-0025, ADR-0032):
 *
 * Before anything moves (outside the fence): the reverse sync is consuming (to the service), and
 * the ownership record is read (its epoch makes the change of owner below conditional).
 *
 * to the service (`new → owned`): routes (the audited flag flip; reads are served by the service at
 * both stages) → fence the writes (every proxy instance; in-flight writes finish first) → seal the
 * monolith's tables (its database refuses the domain's writes; the position it returns is final) →
 * the forward watermark reaches that position → ownership to the service (its forward apply pauses)
 * → lift the fence with writes going to the service.
 *
 * to the monolith (`owned → new`): routes → fence → the reverse sync has handled every outbox event
 * → the forward watermark reaches the monolith's position (the reverse sync's own writes pass by the
 * paused projection) → ownership to the monolith (the forward apply resumes) → unseal the
 * monolith's tables → lift the fence with writes going to the monolith.
 *
 * The fence's duration (`fenceMs`) runs from the start of the raise, when new writes start to be
 * held, to the lift: the drain of the writes in flight is part of it.
 *
 * A step that fails or times out puts back every earlier step, in reverse order, and the cutover
 * is refused naming that step. Each is recorded in the journal with how long writes were fenced.
 */
export async function cutOver<A>(
  deps: CutoverDeps,
  plan: {
    domain: string;
    service: string;
    actor: string;
    fromStage: string;
    toStage: string;
    direction: CutoverDirection;
    /** Flips the routes (the flag and its audit row); returns what the caller reports. */
    route(): Promise<A & { audit: { id: number } }>;
    /** Puts the routes back after `route()` succeeded and a later step failed. */
    unroute(): Promise<void>;
  },
): Promise<CutoverOutcome<A>> {
  const { domain, service, direction } = plan;
  const id = await deps.journal.start({ domain, actor: plan.actor, fromStage: plan.fromStage, toStage: plan.toStage });
  const pollMs = deps.pollMs ?? 50;
  const undo: { what: string; run: () => Promise<unknown> }[] = [];
  const fromSide: WriteSide = direction === 'to-service' ? 'legacy' : 'new';
  const toSide: WriteSide = direction === 'to-service' ? 'new' : 'legacy';
  let step = 'start';
  let raisedAt: number | undefined;

  /** Asks the service until `ready` says yes (returns undefined) or the step's time is up (the last reason). */
  async function waitUntil(ready: (s: SyncStatus) => string | undefined): Promise<void> {
    const deadline = Date.now() + deps.stepTimeoutMs;
    let reason = 'not asked yet';
    for (;;) {
      try {
        const blocker = ready(await deps.control.sync(service));
        if (blocker === undefined) return;
        reason = blocker;
      } catch (err) {
        reason = detailOf(err);
      }
      if (Date.now() >= deadline) throw new Error(`not reached within ${deps.stepTimeoutMs} ms: ${reason}`);
      await sleep(pollMs);
    }
  }

  /**
   * Waits until the forward watermark reaches `target`, or the monolith's position read now (its
   * writes of the domain are refused by then), with the service's long poll: it answers the moment
   * the watermark passes, so the fence does not wait for a polling period.
   */
  async function forwardCaughtUp(target?: bigint): Promise<void> {
    const deadline = Date.now() + deps.stepTimeoutMs;
    if (target === undefined) {
      await waitUntil((s) => ((target = s.reverse?.monolithLsn) === undefined ? "the monolith's position cannot be read (the reverse sync does not report it)" : undefined));
    }
    let reason = 'not asked yet';
    for (;;) {
      const left = deadline - Date.now();
      try {
        const watermark = await deps.control.watermark(service, target!, Math.max(0, Math.min(2_000, left)));
        if (watermark !== undefined && watermark >= target!) return;
        reason = watermark === undefined ? 'the forward watermark is unknown' : 'the forward watermark is behind the monolith';
      } catch (err) {
        reason = detailOf(err);
        await sleep(pollMs);
      }
      if (Date.now() >= deadline) throw new Error(`not reached within ${deps.stepTimeoutMs} ms: ${reason}`);
    }
  }

  /** Runs one step and records how long it took (the journal's `steps`, the status). */
  const steps: CutoverStep[] = [];
  async function run<T>(name: string, work: () => Promise<T>): Promise<T> {
    step = name;
    const started = performance.now();
    const result = await work();
    steps.push({ step: name, ms: Math.round(performance.now() - started) });
    return result;
  }

  try {
    // Before anything moves, and outside the fence: what the service must be able to do, and the
    // ownership record the change below is conditional on (another change of owner in between makes
    // it fail with epoch_mismatch). Nothing to put back if either refuses.
    if (direction === 'to-service') {
      await run('reverse sync running', () => waitUntil((s) => (s.reverse?.consuming ? undefined : s.reverse ? 'the reverse sync is not consuming' : 'the reverse sync does not answer')));
    }
    const held = await run('read the ownership', () => deps.control.ownership(service, domain));

    // The flag next, outside the fence: it moves reads only (`new` and `owned` both read from the
    // service), writes follow the fence row alone, so Unleash's answer time is never spent fenced.
    const routed = await run('switch routes', () => plan.route());
    undo.push({ what: 'routes back', run: () => plan.unroute() });

    // Writes are held from the moment the raise starts (every lease is told to take no new write),
    // not only once the last write in flight has ended: the fence's duration counts the drain.
    raisedAt = Date.now();
    await run('fence writes', () => deps.fence.raise(domain, deps.drainMs));
    undo.push({ what: 'lift the fence', run: () => deps.fence.lift(domain, fromSide) });

    if (direction === 'to-service') {
      // The monolith's database refuses the domain's writes from here on (a write the proxy gave up
      // on, a path around the proxy): the position it returns is the last the monolith can reach.
      const sealed = await run("seal the monolith's tables", () => deps.control.setMonolithWriter(service, domain, 'service'));
      undo.push({ what: "the monolith's tables writable again", run: () => deps.control.setMonolithWriter(service, domain, 'monolith') });
      await run('forward watermark', () => forwardCaughtUp(sealed.monolithLsn));
    } else {
      await run('reverse sync caught up', () =>
        waitUntil((s) => {
          if (!s.reverse) return 'the reverse sync does not answer';
          if (s.reverse.pendingEvents !== 0) return `${s.reverse.pendingEvents ?? 'an unknown number of'} events not applied yet`;
          if (s.outboxEvents !== null && s.reverse.handledEvents < s.outboxEvents) return `${s.outboxEvents - s.reverse.handledEvents} outbox events not yet received`;
          return undefined;
        }),
      );
      // The monolith's tables are still sealed: its position now is final, and the reverse sync's
      // own writes must have passed the paused forward projection before it resumes.
      await run('forward watermark', () => forwardCaughtUp());
    }

    const newOwner = direction === 'to-service' ? 'service' : 'monolith';
    const previous = direction === 'to-service' ? 'monolith' : 'service';
    await run('ownership', async () => {
      const set = await deps.control.setOwner(service, domain, newOwner, held.epoch);
      undo.push({ what: `ownership back to the ${previous}`, run: () => deps.control.setOwner(service, domain, previous, set.epoch) });
    });

    if (direction === 'to-monolith') {
      await run("unseal the monolith's tables", () => deps.control.setMonolithWriter(service, domain, 'monolith'));
      undo.push({ what: "the monolith's tables sealed again", run: () => deps.control.setMonolithWriter(service, domain, 'service') });
    }

    await run('lift the fence', () => deps.fence.lift(domain, toSide));
    const fenceMs = Date.now() - raisedAt!;
    await deps.journal.finish(id, { outcome: 'done', fenceMs, auditId: routed.audit.id, steps });
    return { cutoverId: id, fenceMs, routed, steps };
  } catch (err) {
    const detail = detailOf(err);
    const problems: string[] = [];
    for (const u of undo.reverse()) {
      try {
        await u.run();
      } catch (undoErr) {
        problems.push(`${u.what} failed: ${detailOf(undoErr)}`);
      }
    }
    const fenceMs = raisedAt === undefined ? null : Date.now() - raisedAt;
    const putBack = problems.length ? `putting back failed in part (${problems.join('; ')})` : 'everything was put back as it was';
    await deps.journal.finish(id, { outcome: 'refused', fenceMs, failedStep: step, detail: `${detail}; ${putBack}`, steps }).catch(() => undefined);
    throw new CutoverRefusedError(`the cutover of ${domain} from ${plan.fromStage} to ${plan.toStage} failed at step "${step}": ${detail}; ${putBack}`, step);
  }
}

/** What lifting a fence left up by an interrupted cutover did. */
export interface FenceRecovery {
  cutoverId: number;
  /** Who owns the domain's writes according to the service's ownership record: the fence now sends writes there. */
  owner: 'monolith' | 'service';
  writesTo: WriteSide;
  /** How long the fence had been up, ms. */
  fencedForMs: number;
}

/**
 * Lifts a fence that an interrupted cutover left up (the proxy running it was killed): writes go
 * again to the side the service's ownership record names, and the monolith's write guard is made to
 * agree with it, so the one owner is the one that receives writes. Refused while the fence is younger
 * than the longest a running cutover can take (`minAgeMs`), so it never races a live cutover on
 * another instance. Recorded in the journal as a cutover of its own.
 */
export async function liftStuckFence(
  deps: Pick<CutoverDeps, 'fence' | 'control' | 'journal'>,
  plan: { domain: string; service: string; actor: string; stage: string; minAgeMs: number },
): Promise<FenceRecovery> {
  const { domain, service } = plan;
  const state = await deps.fence.state(domain);
  if (!state?.fencedSince) throw new ConflictError(`the write fence of ${domain} is not up: nothing to lift`, 'fence_not_raised');
  const fencedForMs = Date.now() - state.fencedSince.getTime();
  if (fencedForMs < plan.minAgeMs) {
    throw new ConflictError(
      `the write fence of ${domain} went up ${Math.round(fencedForMs / 1000)} s ago: a cutover may still be running (it takes at most ${Math.round(plan.minAgeMs / 1000)} s); try again later`,
      'cutover_may_be_running',
    );
  }
  const record = await deps.control.ownership(service, domain);
  const owner = record.owner === 'service' ? 'service' : 'monolith';
  const writesTo: WriteSide = owner === 'service' ? 'new' : 'legacy';
  const id = await deps.journal.start({ domain, actor: plan.actor, fromStage: plan.stage, toStage: plan.stage });
  await deps.control.setMonolithWriter(service, domain, owner);
  await deps.fence.lift(domain, writesTo);
  await deps.journal.finish(id, {
    outcome: 'done',
    fenceMs: fencedForMs,
    detail: `fence lifted by hand after ${fencedForMs} ms: the ${owner} owns the writes (epoch ${record.epoch}); the monolith's tables ${owner === 'service' ? 'stay sealed' : 'are writable'}`,
  });
  return { cutoverId: id, owner, writesTo, fencedForMs };
}
