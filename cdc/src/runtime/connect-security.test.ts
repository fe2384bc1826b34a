import { describe, expect, it } from 'vitest';
import { assertUsername, fileSecretPlaceholder, propertiesEscape, propertiesFile, restJaasConfig } from './connect-security.js';

describe("Kafka Connect's security files", () => {
  it('names the realm KafkaConnect with the property-file login module and the realm file', () => {
    expect(restJaasConfig('/state/connect/secrets/rest-realm.properties')).toBe(
      'KafkaConnect {\n  org.apache.kafka.connect.rest.basic.auth.extension.PropertyFileLoginModule required\n  file="/state/connect/secrets/rest-realm.properties";\n};\n',
    );
    expect(() => restJaasConfig('/odd"path')).toThrow(/may not contain/);
  });

  it('escapes what java.util.Properties would otherwise read differently', () => {
    expect(propertiesEscape('a\\b')).toBe('a\\\\b');
    expect(propertiesEscape(' leading')).toBe('\\ leading');
    expect(propertiesEscape('#not-a-comment')).toBe('\\#not-a-comment');
    expect(propertiesEscape('line\nbreak')).toBe('line\\nbreak');
    expect(propertiesEscape('a=b:c', true)).toBe('a\\=b\\:c');
    expect(propertiesFile({ 'debezium.password': 'p=w' }, 'c')).toBe('# c\ndebezium.password=p=w\n');
  });

  it("references a secret as ${file:<path>:<key>} and refuses what the provider's syntax cannot carry", () => {
    expect(fileSecretPlaceholder({ path: '/s/connector-secrets.properties', key: 'debezium.password' })).toBe('${file:/s/connector-secrets.properties:debezium.password}');
    expect(() => fileSecretPlaceholder({ path: '/s/x}', key: 'k' })).toThrow(/may contain/);
  });

  it('accepts a plain user name and refuses one the realm file could not hold', () => {
    expect(() => assertUsername('strangler', 'CONNECT_USER')).not.toThrow();
    expect(() => assertUsername('ops: admin', 'CONNECT_USER')).toThrow(/CONNECT_USER: "ops: admin" is not a valid/);
  });
});
