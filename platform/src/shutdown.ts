import type { Server } from 'node:http';
import type { Logger } from './logger.js';

export type Cleanup = () => Promise<void> | void;

/**
 * On SIGTERM or SIGINT: stop accepting connections, let in-flight requests finish, run the
 * cleanups in reverse order of registration (connections opened last close first), then exit.
 * A second signal, or the timeout, exits at once.
 */
export function gracefulShutdown(options: { server?: Server; logger: Logger; cleanups?: Cleanup[]; timeoutMs?: number }): () => Promise<void> {
  const { server, logger, cleanups = [], timeoutMs = 10_000 } = options;
  let stopping: Promise<void> | undefined;

  const stop = async (): Promise<void> => {
    stopping ??= (async () => {
      if (server) {
        await new Promise<void>((resolve) => {
          // close() closes the idle connections once; a keep-alive connection whose request is in
          // flight turns idle later and would stay open until keepAliveTimeout (longer than ours).
          const sweep = setInterval(() => server.closeIdleConnections(), 100);
          server.close(() => {
            clearInterval(sweep);
            resolve();
          });
          server.closeIdleConnections();
        });
      }
      for (const cleanup of [...cleanups].reverse()) {
        try {
          await cleanup();
        } catch (err) {
          logger.error('cleanup failed during shutdown', { err });
        }
      }
    })();
    return stopping;
  };

  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn('second signal, exiting now', { signal });
      process.exit(1);
    }
    logger.info('shutting down', { signal });
    const timer = setTimeout(() => {
      logger.error('shutdown timed out, exiting', { timeoutMs });
      process.exit(1);
    }, timeoutMs);
    timer.unref();
    stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  // `on`, not `once`: the second signal must reach onSignal, or Node's default ends the process unlogged.
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return stop;
}
