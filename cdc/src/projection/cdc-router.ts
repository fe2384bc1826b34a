import { formatLsn, parseLsn, ValidationError } from '@strangler/platform';
import { Router } from 'express';
import type { PartitionPosition } from './projection.js';
import type { ProjectionStatus } from './projection-consumer.js';
import type { Watermark } from './watermark.js';

export interface CdcStatusSource {
  status(): ProjectionStatus;
  positions(): Promise<PartitionPosition[]>;
  watermark(): (Watermark & { lagMs: number }) | undefined;
  waitForWatermark(lsn: bigint, timeoutMs: number): Promise<Watermark | undefined>;
  /** The direction of the domain's data sync and the reverse sync's state, for a service that may own its writes (ADR-0025). */
  sync?(): Promise<Record<string, unknown>>;
}

/** The longest a `GET /cdc/watermark?after=` waits before answering with the watermark it has. */
export const MAX_WATERMARK_WAIT_MS = 10_000;

function watermarkBody(source: CdcStatusSource) {
  const w = source.watermark();
  return w ? { lsn: formatLsn(w.lsn), committedAt: w.committedAt.toISOString(), lagMs: w.lagMs, reachedAt: w.reachedAt.toISOString() } : null;
}

/**
 * `GET /cdc`: how far this service has applied the monolith's changes. The service watermark
 * (ADR-0021: every transaction the monolith committed before it is applied; its commit time; the
 * lag behind the monolith in ms), and per partition the last offset and source LSN applied and the
 * commit time of the newest change applied; plus whether this instance consumes now.
 *
 * `GET /cdc/watermark?after=16/B374D848&waitMs=500`: the watermark alone, answered as soon as it
 * reaches `after` or when `waitMs` has passed (a long poll: the proxy's read-your-writes waits on it).
 */
export function cdcRouter(source: CdcStatusSource): Router {
  const router = Router();
  router.get('/cdc', async (_req, res) => {
    const status = source.status();
    const applied = new Map(status.partitions.map((p) => [`${p.topic}/${p.partition}`, p.appliedAt]));
    const [positions, sync] = await Promise.all([source.positions(), source.sync?.()]);
    res.json({
      ...(sync ? { sync } : {}),
      watermark: watermarkBody(source),
      consuming: status.consuming,
      retrying: status.retrying,
      partitions: positions.map((p) => ({
        topic: p.topic,
        partition: p.partition,
        offset: p.offset,
        lsn: p.lsn === null ? null : formatLsn(p.lsn),
        committedAt: p.committedAt?.toISOString() ?? null,
        appliedHereAt: applied.get(`${p.topic}/${p.partition}`)?.toISOString() ?? null,
      })),
    });
  });
  router.get('/cdc/watermark', async (req, res) => {
    const { after, waitMs } = req.query;
    let wait = 0;
    if (waitMs !== undefined) {
      wait = typeof waitMs === 'string' && /^\d{1,5}$/.test(waitMs) ? Number(waitMs) : Number.NaN;
      if (!(wait <= MAX_WATERMARK_WAIT_MS)) throw new ValidationError(`waitMs must be a whole number of milliseconds up to ${MAX_WATERMARK_WAIT_MS}`, [{ field: 'waitMs', reason: `must be 0-${MAX_WATERMARK_WAIT_MS}` }]);
    }
    if (after !== undefined) {
      const lsn = typeof after === 'string' ? parseLsn(after) : undefined;
      if (lsn === undefined) throw new ValidationError('after must be an LSN such as 16/B374D848', [{ field: 'after', reason: 'must be an LSN such as 16/B374D848' }]);
      if (wait > 0) await source.waitForWatermark(lsn, wait);
    }
    res.json({ watermark: watermarkBody(source) });
  });
  return router;
}
