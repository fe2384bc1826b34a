// Runs unleash-server 7.5.1 as its own process against its own PostgreSQL database, with real
// API tokens (an admin token for the flag bootstrap and a backend token for the proxy).
import { configFields, ConfigError, createLogger, EXIT_CODES, loadConfig } from '@strangler/platform';
import { start, type IUnleash } from 'unleash-server';
import { z } from 'zod';
import { unleashOptions } from './unleash-options.js';

const logger = createLogger('unleash-server');
const schema = z.object({
    UNLEASH_DATABASE_URL: configFields.postgresUrl(),
    UNLEASH_PORT: configFields.port(4242),
    UNLEASH_HOST: configFields.host(),
    UNLEASH_ADMIN_TOKEN: z.string({ message: 'is required, e.g. *:*.<secret>' }).regex(/^\*:\*\.[A-Za-z0-9_-]{16,}$/, 'must look like *:*.<secret of 16+ characters>'),
    UNLEASH_CLIENT_TOKEN: z.string({ message: 'is required, e.g. default:development.<secret>' }).regex(/^[a-z0-9-]+:[a-z0-9-]+\.[A-Za-z0-9_-]{16,}$/, 'must look like <project>:<environment>.<secret of 16+ characters>'),
    UNLEASH_ADMIN_PASSWORD: z.string().min(12, 'must have at least 12 characters').default('strangler-admin-dev'),
    UNLEASH_LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'fatal']).default('warn'),
});
let config: z.output<typeof schema>;
try {
  config = loadConfig(schema);
} catch (err) {
  // EXIT_CODES.config: the stack's supervisor reports it once instead of restarting (ADR-0024).
  logger.error(`invalid configuration, not starting: ${err instanceof ConfigError ? err.message : String(err)}`);
  process.exit(EXIT_CODES.config);
}
let unleash: IUnleash;
try {
  unleash = await start(unleashOptions(config));
} catch (err) {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE' || code === 'EACCES') {
    logger.error(`cannot listen, not starting: ${config.UNLEASH_HOST}:${config.UNLEASH_PORT} is not available (${code}): stop what listens there, or set UNLEASH_PORT to a free port`);
    process.exit(EXIT_CODES.config);
  }
  logger.error('unleash failed to start', { err: err instanceof Error ? err : String(err) });
  process.exit(EXIT_CODES.failure);
}
logger.info('unleash listening', { url: `http://${config.UNLEASH_HOST}:${config.UNLEASH_PORT}` });

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) process.exit(1);
    stopping = true;
    void unleash.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error('unleash did not stop cleanly', { err: err instanceof Error ? err : String(err) });
        process.exit(1);
      },
    );
  });
}
