// Composition root of the strangler proxy: the stable URL (http://127.0.0.1:8080 by default).
import { ManifestError } from '@strangler/manifests';
import { ConfigError, createLogger, gracefulShutdown } from '@strangler/platform';
import { loadProxyConfig } from './config.js';
import { PROXY_NAME } from './proxy/proxy-handler.js';
import { startProxy } from './runtime.js';

const logger = createLogger(PROXY_NAME, process.env.LOG_LEVEL ?? 'info');
try {
  const config = loadProxyConfig();
  const proxy = await startProxy(config, { logger });
  gracefulShutdown({ server: proxy.adminServer, logger, cleanups: [() => proxy.close()] });
} catch (err) {
  if (err instanceof ManifestError) {
    logger.error(`invalid manifest, not starting: ${err.message}`, { file: err.file, field: err.field, reason: err.reason });
  } else if (err instanceof ConfigError) {
    logger.error(`invalid configuration, not starting: ${err.message}`, { issues: err.issues });
  } else {
    logger.error('proxy failed to start', { err });
  }
  process.exitCode = 1;
  setTimeout(() => process.exit(1), 100).unref();
}
