import type { PartitionPosition, ProjectionStatus } from '@strangler/cdc/projection';
import { Router } from 'express';

export interface CdcStatusSource {
  status(): ProjectionStatus;
  positions(): Promise<PartitionPosition[]>;
}

/**
 * `GET /cdc`: how far this service has applied the monolith's changes. Per partition: the last
 * offset and the source LSN applied (the partition's watermark, in PostgreSQL's `X/Y` notation
 * too) and the commit time of the newest change applied; plus whether this instance consumes now.
 */
export function cdcRouter(source: CdcStatusSource): Router {
  const router = Router();
  router.get('/cdc', async (_req, res) => {
    const status = source.status();
    const applied = new Map(status.partitions.map((p) => [`${p.topic}/${p.partition}`, p.appliedAt]));
    const positions = await source.positions();
    res.json({
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
  return router;
}

/** PostgreSQL's notation of an LSN: the high and low 32 bits in hexadecimal, `16/B374D848`. */
export function formatLsn(lsn: bigint): string {
  return `${(lsn >> 32n).toString(16).toUpperCase()}/${(lsn & 0xffffffffn).toString(16).toUpperCase()}`;
}
