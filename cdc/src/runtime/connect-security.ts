// The files that lock down a Kafka Connect worker: the REST API's basic-auth realm (JAAS
// PropertyFileLoginModule), and the properties file the connector's secrets are read from
// (FileConfigProvider), so that `GET /connectors/<name>/config` shows a reference, never a password.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensurePrivateDir, writePrivateFile } from '@strangler/platform';

export const BASIC_AUTH_EXTENSION = 'org.apache.kafka.connect.rest.basic.auth.extension.BasicAuthSecurityRestExtension';
export const PROPERTY_FILE_LOGIN_MODULE = 'org.apache.kafka.connect.rest.basic.auth.extension.PropertyFileLoginModule';
export const FILE_CONFIG_PROVIDER = 'org.apache.kafka.common.config.provider.FileConfigProvider';

/** The key, in the connector secrets file, of the password of the database role Debezium logs in as. */
export const CAPTURE_PASSWORD_KEY = 'debezium.password';

export interface BasicCredentials {
  username: string;
  password: string;
}

/** A value the Connect worker reads from a properties file when it starts a connector. */
export interface FileSecretRef {
  /** Absolute path of the properties file, as the Connect worker sees it. */
  path: string;
  key: string;
}

/** The placeholder Kafka's FileConfigProvider (alias `file`) replaces with the value: `${file:<path>:<key>}`. */
export function fileSecretPlaceholder(ref: FileSecretRef): string {
  if (!ref.path.startsWith('/') || /[:}]/.test(ref.path) || /[:}]/.test(ref.key)) {
    throw new Error(`secret file reference ${ref.path}:${ref.key}: the path must be absolute, and neither may contain ':' or '}'`);
  }
  return `\${file:${ref.path}:${ref.key}}`;
}

/** The worker settings that enable the REST API's basic auth and the file config provider, limited to `secretsDir`. */
export function connectSecuritySettings(secretsDir: string): string[] {
  return [
    // Every REST call needs the user and password of the JAAS realm `KafkaConnect` (-Djava.security.auth.login.config).
    `rest.extension.classes=${BASIC_AUTH_EXTENSION}`,
    // Connector settings may say ${file:<path>:<key>}: resolved by the worker when it starts the connector, never
    // stored or returned by the REST API. Only files in the secrets folder can be read that way.
    'config.providers=file',
    `config.providers.file.class=${FILE_CONFIG_PROVIDER}`,
    `config.providers.file.param.allowed.paths=${secretsDir}`,
  ];
}

/** Escapes a key or value for a java.util.Properties file (both the realm and the secrets file are read that way). */
export function propertiesEscape(text: string, isKey = false): string {
  let out = text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t').replace(/\f/g, '\\f');
  if (isKey) out = out.replace(/([=: #!])/g, '\\$1');
  else out = out.replace(/^([ #!])/, '\\$1');
  return out;
}

/** A properties file of `key=value` lines. */
export function propertiesFile(entries: Record<string, string>, comment: string): string {
  const lines = Object.entries(entries).map(([k, v]) => `${propertiesEscape(k, true)}=${propertiesEscape(v)}`);
  return `# ${comment}\n${lines.join('\n')}\n`;
}

/** The JAAS configuration of the REST realm: Kafka's BasicAuthSecurityRestExtension logs users in against `realmFile`. */
export function restJaasConfig(realmFile: string): string {
  if (/["\\]/.test(realmFile)) throw new Error(`the REST realm file path ${realmFile} may not contain '"' or '\\'`);
  return `KafkaConnect {\n  ${PROPERTY_FILE_LOGIN_MODULE} required\n  file="${realmFile}";\n};\n`;
}

const USERNAME = /^[A-Za-z0-9._-]{1,64}$/;

export function assertUsername(username: string, setting: string): void {
  if (!USERNAME.test(username)) throw new Error(`${setting}: "${username}" is not a valid Connect user name (1-64 letters, digits, '.', '_' or '-')`);
}

export interface ConnectSecurityPaths {
  /** Folder (0700) of the files below; the FileConfigProvider may read nothing else. */
  secretsDir: string;
  realmFile: string;
  jaasFile: string;
  connectorSecretsFile: string;
}

export function connectSecurityPaths(connectDir: string): ConnectSecurityPaths {
  const secretsDir = join(connectDir, 'secrets');
  return {
    secretsDir,
    realmFile: join(secretsDir, 'rest-realm.properties'),
    jaasFile: join(secretsDir, 'rest-jaas.conf'),
    connectorSecretsFile: join(secretsDir, 'connector-secrets.properties'),
  };
}

/** Reads the one user of a realm file written by `writeConnectSecurityFiles`, if there is one. */
export function readRealmCredentials(realmFile: string): BasicCredentials | undefined {
  if (!existsSync(realmFile)) return undefined;
  const line = readFileSync(realmFile, 'utf8')
    .split('\n')
    .find((l) => l.trim() && !l.startsWith('#'));
  const match = line ? /^([A-Za-z0-9._-]+): (.*)$/.exec(line) : null;
  return match ? { username: match[1] ?? '', password: (match[2] ?? '').replace(/\\(.)/g, '$1') } : undefined;
}

export function generateCredentials(username = 'strangler'): BasicCredentials {
  return { username, password: randomBytes(24).toString('hex') };
}

/**
 * Writes the realm (one user), its JAAS configuration and the connector secrets, each 0600 in a
 * 0700 folder; re-applied at every start so that rights loosened meanwhile are narrowed again.
 */
export function writeConnectSecurityFiles(paths: ConnectSecurityPaths, rest: BasicCredentials, connectorSecrets: Record<string, string>): void {
  assertUsername(rest.username, 'Connect REST user');
  ensurePrivateDir(paths.secretsDir);
  writePrivateFile(paths.realmFile, `# Kafka Connect REST users (user: password); written by cdc/src/runtime/launcher.ts\n${rest.username}: ${propertiesEscape(rest.password)}\n`);
  writePrivateFile(paths.jaasFile, restJaasConfig(paths.realmFile));
  writePrivateFile(paths.connectorSecretsFile, propertiesFile(connectorSecrets, 'Secrets the connectors read through FileConfigProvider; written by cdc/src/runtime/launcher.ts'));
}
