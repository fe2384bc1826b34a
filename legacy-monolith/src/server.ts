// The monolith's process: configuration, migrations check, HTTP server, graceful shutdown.
import { createLogger, gracefulShutdown } from '@strangler/platform';
import { composeMonolith } from './compose.js';
import { readConfig } from './config.js';

const logger = createLogger('legacy-monolith');
let config;
try {
  config = readConfig();
} catch (err) {
  logger.error(err instanceof Error ? err.message : String(err));
  process.exit(2);
}
const monolith = composeMonolith(config, logger);
const server = monolith.app.listen(config.PORT, config.HOST, () => {
  logger.info('legacy-monolith listening', { url: `http://${config.HOST}:${config.PORT}` });
});
server.keepAliveTimeout = 65_000;
server.headersTimeout = 66_000;
gracefulShutdown({ server, logger, cleanups: [monolith.close] });
