import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isRuntimeFetched, type RuntimeArtifacts } from './fetch.js';

describe('a runtime fetched before the REST basic-auth extension was added', () => {
  let root: string;
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('counts as not fetched until the extension jar is there, so the next start fetches it', () => {
    root = mkdtempSync(join(tmpdir(), 'cdc-runtime-'));
    const artifacts: RuntimeArtifacts = {
      kafkaVersion: '4.3.1',
      debeziumVersion: '3.6.1.Final',
      libDir: join(root, 'lib'),
      pluginDir: join(root, 'plugins'),
      log4jConfig: join(root, 'log4j2.properties'),
      java: 'java',
    };
    mkdirSync(artifacts.libDir, { recursive: true });
    mkdirSync(join(artifacts.pluginDir, 'debezium-connector-postgres'), { recursive: true });
    for (const jar of ['kafka_2.13-4.3.1.jar', 'connect-runtime-4.3.1.jar']) writeFileSync(join(artifacts.libDir, jar), '');
    writeFileSync(join(artifacts.pluginDir, 'debezium-connector-postgres', 'debezium-connector-postgres-3.6.1.Final.jar'), '');
    expect(isRuntimeFetched(artifacts)).toBe(false);
    writeFileSync(join(artifacts.libDir, 'connect-basic-auth-extension-4.3.1.jar'), '');
    expect(isRuntimeFetched(artifacts)).toBe(true);
  });
});
