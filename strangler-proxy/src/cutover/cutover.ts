import { ConflictError } from '@strangler/platform';
import type { CutoverJournal } from './cutover-journal.js';
import type { ServiceControl, SyncStatus } from './service-control.js';
import type { WriteFence, WriteSide } from './write-fence.js';

/** What a cutover needs: the fence, the service's control API, the journal, and its limits. */
export interface CutoverDeps {
  fence: Pick<WriteFence, 'covers' | 'raise' | 'lift'>;
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
 * Moves a domain's writes between the monolith and its service as one operation (ADR-0025):
 *
 * to the service (`new → owned`): fence the writes (every proxy instance; in-flight writes finish
 * first) → the forward watermark reaches the monolith's position read after the fence → ownership
 * to the service (its forward apply pauses) → the reverse sync consumes → routes (the flag) to
 * owned → lift the fence with writes going to the service.
 *
 * to the monolith (`owned → new`): fence → the reverse sync has handled every outbox event →
 * the forward watermark reaches the monolith's position (the reverse sync's own writes pass by the
 * paused projection) → ownership to the monolith (the forward apply resumes) → routes → lift the
 * fence with writes going to the monolith.
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
  let step = 'fence writes';
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

  async function forwardCaughtUp(): Promise<void> {
    // The monolith's position now: no write of the domain can commit after it (the fence is up).
    let target: bigint | undefined;
    await waitUntil((s) => {
      target ??= s.reverse?.monolithLsn;
      if (target === undefined) return "the monolith's position cannot be read (the reverse sync does not report it)";
      if (s.watermarkLsn === undefined) return 'the forward watermark is unknown';
      return s.watermarkLsn >= target ? undefined : 'the forward watermark is behind the monolith';
    });
  }

  try {
    const raised = await deps.fence.raise(domain, deps.drainMs);
    raisedAt = raised.raisedAt.getTime();
    undo.push({ what: 'lift the fence', run: () => deps.fence.lift(domain, fromSide) });

    if (direction === 'to-monolith') {
      step = 'reverse sync caught up';
      await waitUntil((s) => {
        if (!s.reverse) return 'the reverse sync does not answer';
        if (s.reverse.pendingEvents !== 0) return `${s.reverse.pendingEvents ?? 'an unknown number of'} events not applied yet`;
        if (s.outboxEvents !== null && s.reverse.handledEvents < s.outboxEvents) return `${s.outboxEvents - s.reverse.handledEvents} outbox events not yet received`;
        return undefined;
      });
    }

    step = 'forward watermark';
    await forwardCaughtUp();

    step = 'ownership';
    const held = await deps.control.ownership(service, domain);
    const newOwner = direction === 'to-service' ? 'service' : 'monolith';
    const previous = direction === 'to-service' ? 'monolith' : 'service';
    const set = await deps.control.setOwner(service, domain, newOwner, held.epoch);
    undo.push({ what: `ownership back to the ${previous}`, run: () => deps.control.setOwner(service, domain, previous, set.epoch) });

    if (direction === 'to-service') {
      step = 'reverse sync running';
      await waitUntil((s) => (s.reverse?.consuming ? undefined : s.reverse ? 'the reverse sync is not consuming' : 'the reverse sync does not answer'));
    }

    step = 'switch routes';
    const routed = await plan.route();
    undo.push({ what: 'routes back', run: () => plan.unroute() });

    step = 'lift the fence';
    await deps.fence.lift(domain, toSide);
    const fenceMs = Date.now() - raisedAt;
    await deps.journal.finish(id, { outcome: 'done', fenceMs, auditId: routed.audit.id });
    return { cutoverId: id, fenceMs, routed };
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
    await deps.journal.finish(id, { outcome: 'refused', fenceMs, failedStep: step, detail: `${detail}; ${putBack}` }).catch(() => undefined);
    throw new CutoverRefusedError(`the cutover of ${domain} from ${plan.fromStage} to ${plan.toStage} failed at step "${step}": ${detail}; ${putBack}`, step);
  }
}
