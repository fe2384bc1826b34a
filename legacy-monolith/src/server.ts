// The monolith's process: configuration, migrations check, HTTP server, graceful shutdown.
import { createLogger, EXIT_CODES, gracefulShutdown, serve } from '@strangler/platform';
import { composeMonolith } from './compose.js';
import { readConfig } from './config.js';

const logger = createLogger('legacy-monolith');
let config;
try {
  config = readConfig();
} catch (err) {
  logger.error(err instanceof Error ? err.message : String(err));
  process.exit(EXIT_CODES.config);
}
const monolith = composeMonolith(config, logger);
try {
  const { server, url } = await serve(monolith.app, { port: config.PORT, host: config.HOST });
  logger.info('legacy-monolith listening', { url });
  gracefulShutdown({ server, logger, cleanups: [monolith.close] });
} catch (err) {
  logger.error(`cannot listen, not starting: ${err instanceof Error ? err.message : String(err)}`);
  await monolith.close();
  process.exit(EXIT_CODES.config);
}
