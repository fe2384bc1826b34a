import { COMMIT_LSN_HEADER, type Logger } from '@strangler/platform';
import { Router } from 'express';

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Reports where a write landed (ADR-0021): every successful unsafe request's answer carries
 * `strangler-commit-lsn`, the WAL insert position read after the handler's transaction committed
 * (past its commit record, even with synchronous_commit off, when the record may not be written
 * out yet), which the strangler proxy turns into the client's consistency token.
 * The answer is held back for that one query; a failed query sends the answer without the header.
 */
export function commitPositionRouter(currentLsn: () => Promise<string>, logger: Logger): Router {
  const router = Router();
  router.use((req, res, next) => {
    if (SAFE.has(req.method)) {
      next();
      return;
    }
    const end = res.end.bind(res) as (...args: unknown[]) => unknown;
    res.end = ((...args: unknown[]) => {
      if (res.headersSent || res.statusCode >= 400) return end(...args);
      currentLsn()
        .then((lsn) => {
          if (!res.headersSent) res.setHeader(COMMIT_LSN_HEADER, lsn);
        })
        .catch((err: unknown) => logger.warn('cannot read the WAL position after a write; answering without it', { detail: err instanceof Error ? err.message : String(err) }))
        .finally(() => end(...args));
      return res;
    }) as typeof res.end;
    next();
  });
  return router;
}
