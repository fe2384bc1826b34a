// Composition root of the strangler proxy: the stable URL (http://127.0.0.1:8080 by default).
import { createLogger, gracefulShutdown } from '@strangler/platform';
import { loadProxyConfig } from './config.js';
import { PROXY_NAME } from './proxy/proxy-handler.js';
import { startProxy } from './runtime.js';

const config = loadProxyConfig();
const logger = createLogger(PROXY_NAME, config.LOG_LEVEL);
const proxy = await startProxy(config, { logger });
gracefulShutdown({ server: proxy.adminServer, logger, cleanups: [() => proxy.close()] });
