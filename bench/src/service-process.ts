// The catalog service as bench:service runs it: the same composition as its server.ts, serving its
// database (filled by the benchmark through the service's own projection store), without consuming
// CDC topics (the benchmark has no Kafka: it measures reads). Prints its URL when it listens.
import { composeCatalogService, SERVICE_NAME } from '@strangler/catalog-service';
import { readConfig } from '@strangler/catalog-service/config';
import { loadManifests } from '@strangler/manifests';
import { createLogger, serve } from '@strangler/platform';

const config = readConfig();
const manifest = loadManifests().find((m) => m.service?.name === SERVICE_NAME);
if (!manifest) throw new Error(`no manifest in migrations/ names service ${SERVICE_NAME}`);
const service = composeCatalogService(config, createLogger(SERVICE_NAME, config.LOG_LEVEL), manifest);
const { url } = await serve(service.app, { port: config.PORT, host: config.HOST });
process.stdout.write(`${url}\n`);
