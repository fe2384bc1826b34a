import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RUNTIME_PROJECT_DIR } from './fetch.js';
import { brokerProperties, connectProperties, runtimePaths } from './launcher.js';

describe('runtime configuration files', () => {
  it('runs one combined broker and controller on loopback, with topic auto-creation off', () => {
    const props = brokerProperties({ brokerPort: 19092, controllerPort: 19093 }, '/state/kafka/data');
    expect(props).toContain('process.roles=broker,controller');
    expect(props).toContain('listeners=PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093');
    expect(props).toContain('controller.quorum.bootstrap.servers=127.0.0.1:19093');
    expect(props).toContain('log.dirs=/state/kafka/data');
    expect(props).toContain('auto.create.topics.enable=false');
  });

  it('runs Connect in distributed mode on the given ports, with the plugin folder and a short offset flush', () => {
    const props = connectProperties({ brokerPort: 19092, connectPort: 18083, connectGroupId: 'g', offsetFlushIntervalMs: 1000 }, '/plugins', '/state/connect/secrets');
    expect(props).toContain('bootstrap.servers=127.0.0.1:19092');
    expect(props).toContain('listeners=http://127.0.0.1:18083');
    expect(props).toContain('plugin.path=/plugins');
    expect(props).toContain('offset.flush.interval.ms=1000');
    expect(props).toContain('config.storage.topic=g-configs');
  });

  it("puts Connect's REST API behind basic auth and lets connectors read secrets from the secrets folder only", () => {
    const props = connectProperties({ brokerPort: 19092, connectPort: 18083, connectGroupId: 'g', offsetFlushIntervalMs: 1000 }, '/plugins', '/state/connect/secrets');
    expect(props).toContain('rest.extension.classes=org.apache.kafka.connect.rest.basic.auth.extension.BasicAuthSecurityRestExtension');
    expect(props).toContain('config.providers=file');
    expect(props).toContain('config.providers.file.class=org.apache.kafka.common.config.provider.FileConfigProvider');
    expect(props).toContain('config.providers.file.param.allowed.paths=/state/connect/secrets');
  });

  it('keeps Kafka and Connect state and logs under the stack state folder', () => {
    const paths = runtimePaths('/repo/.stack');
    expect(paths.kafkaData).toBe('/repo/.stack/kafka/data');
    expect(paths.connectPid).toBe('/repo/.stack/connect/connect.pid');
    expect(paths.brokerLog).toBe('/repo/.stack/logs/kafka.log');
    expect(paths.connectLog).toBe('/repo/.stack/logs/connect.log');
    expect(paths.connectorSecretsFile).toBe('/repo/.stack/connect/secrets/connector-secrets.properties');
    expect(paths.realmFile).toBe('/repo/.stack/connect/secrets/rest-realm.properties');
  });
});

describe('the Connect worker of docker-compose.yml', () => {
  it('has the same settings as the local worker, except addresses and paths', () => {
    const parse = (text: string) =>
      new Map(
        text
          .split('\n')
          .filter((l) => l && !l.startsWith('#'))
          .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] as const),
      );
    const compose = parse(readFileSync(join(RUNTIME_PROJECT_DIR, 'connect-compose.properties'), 'utf8'));
    const local = parse(connectProperties({ brokerPort: 9092, connectPort: 8083, connectGroupId: 'strangler-connect', offsetFlushIntervalMs: 1000 }, '/p', '/s'));
    const addresses = new Set(['bootstrap.servers', 'listeners', 'rest.advertised.host.name', 'plugin.path', 'config.providers.file.param.allowed.paths']);
    for (const [key, value] of local) {
      if (!addresses.has(key)) expect([key, compose.get(key)]).toEqual([key, value]);
    }
    expect([...compose.keys()].sort()).toEqual([...local.keys()].sort());
  });
});
