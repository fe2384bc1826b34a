// Composition root of the strangler proxy: the stable URL (http://127.0.0.1:8080 by default).
import { ManifestError } from '@strangler/manifests';
import { ConfigError, createLogger, EXIT_CODES, gracefulShutdown, ListenError, type Logger } from '@strangler/platform';
import { loadProxyConfig, type ProxyConfig } from './config.js';
import { PROXY_NAME } from './proxy/proxy-handler.js';
import { startProxy } from './runtime.js';

// Every setting is validated before anything starts (LOG_LEVEL included: the logger needs it).
let logger: Logger = createLogger(PROXY_NAME, 'info');
let config: ProxyConfig | undefined;
try {
  config = loadProxyConfig();
  logger = createLogger(PROXY_NAME, config.LOG_LEVEL);
  const proxy = await startProxy(config, { logger });
  gracefulShutdown({ server: proxy.adminServer, logger, cleanups: [() => proxy.close()] });
} catch (err) {
  // A bad manifest or setting, or a port that cannot be bound, fails the same way on every start:
  // EXIT_CODES.config tells the stack's supervisor not to restart (ADR-0024).
  let code: number = EXIT_CODES.config;
  if (err instanceof ManifestError) {
    logger.error(`invalid manifest, not starting: ${err.message}`, { file: err.file, field: err.field, reason: err.reason });
  } else if (err instanceof ConfigError) {
    logger.error(`invalid configuration, not starting: ${err.message}`, { issues: err.issues });
  } else if (err instanceof ListenError) {
    logger.error(`cannot listen, not starting: ${err.message}`);
  } else {
    logger.error('proxy failed to start', { err });
    code = EXIT_CODES.failure;
  }
  process.exitCode = code;
  setTimeout(() => process.exit(code), 100).unref();
}
