import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, openSync, closeSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** `cdc/runtime`: the Maven project that fetches Kafka and Debezium (its `target/` is git-ignored). */
export const RUNTIME_PROJECT_DIR = resolve(import.meta.dirname, '../../runtime');

export interface RuntimeArtifacts {
  kafkaVersion: string;
  debeziumVersion: string;
  /** Broker and Connect jars (one classpath: `<libDir>/*`). */
  libDir: string;
  /** Connect's `plugin.path`: holds the unpacked Debezium PostgreSQL connector. */
  pluginDir: string;
  /** The log4j2 configuration both JVMs use. */
  log4jConfig: string;
  /** The `java` executable to run. */
  java: string;
}

export class CdcRuntimeError extends Error {
  override readonly name = 'CdcRuntimeError';
}

/** Runs a command and returns its exit status and output; injectable so the checks are unit-testable. */
export type CommandProbe = (command: string, args: string[]) => { status: number | null; output: string };

const probe: CommandProbe = (command, args) => {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  if (result.error) return { status: null, output: result.error.message };
  return { status: result.status, output: `${result.stdout ?? ''}${result.stderr ?? ''}` };
};

const JAVA_HINT =
  'Install a Java 17+ runtime (Debian/Ubuntu: `apt-get install openjdk-17-jre-headless`; macOS: `brew install openjdk@17`) ' +
  'or point JAVA_HOME at one.';
const MAVEN_HINT = 'Install Apache Maven 3.6+ (Debian/Ubuntu: `apt-get install maven`; macOS: `brew install maven`).';

/** The `java` to use: `$JAVA_HOME/bin/java` when set, else `java` on the PATH. Throws when missing or older than 17. */
export function findJava(run: CommandProbe = probe, env: NodeJS.ProcessEnv = process.env): string {
  const java = env.JAVA_HOME ? join(env.JAVA_HOME, 'bin', 'java') : 'java';
  const { status, output } = run(java, ['-version']);
  if (status !== 0) {
    throw new CdcRuntimeError(`Java 17 or newer is required to run Kafka and Kafka Connect, but \`${java}\` was not found. ${JAVA_HINT}`);
  }
  const major = javaMajorVersion(output);
  if (major === undefined || major < 17) {
    throw new CdcRuntimeError(
      `Java 17 or newer is required to run Kafka and Kafka Connect, but \`${java}\` is version ${major ?? 'unknown'}. ${JAVA_HINT}`,
    );
  }
  return java;
}

/** Parses the major version from `java -version` output (`"17.0.15"`, `"1.8.0_392"`, `"21"`). */
export function javaMajorVersion(versionOutput: string): number | undefined {
  const match = /version "(\d+)(?:\.(\d+))?/.exec(versionOutput);
  if (!match) return undefined;
  const first = Number(match[1]);
  return first === 1 && match[2] ? Number(match[2]) : first;
}

export function findMaven(run: CommandProbe = probe): string {
  const { status } = run('mvn', ['-v']);
  if (status !== 0) {
    throw new CdcRuntimeError(
      `Maven is required once, to fetch Kafka and the Debezium connector from Maven Central into cdc/runtime/target, but \`mvn\` was not found. ${MAVEN_HINT}`,
    );
  }
  return 'mvn';
}

/** Versions pinned in `cdc/runtime/pom.xml` (the single place to change them). */
export function pinnedVersions(projectDir = RUNTIME_PROJECT_DIR): { kafka: string; debezium: string } {
  const pom = readFileSync(join(projectDir, 'pom.xml'), 'utf8');
  const kafka = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(pom)?.[1];
  const debezium = /<debezium\.version>([^<]+)<\/debezium\.version>/.exec(pom)?.[1];
  if (!kafka || !debezium) throw new CdcRuntimeError(`${projectDir}/pom.xml must define kafka.version and debezium.version`);
  return { kafka, debezium };
}

function artifactsOf(projectDir: string, java: string): RuntimeArtifacts {
  const versions = pinnedVersions(projectDir);
  return {
    kafkaVersion: versions.kafka,
    debeziumVersion: versions.debezium,
    libDir: join(projectDir, 'target', 'kafka', 'lib'),
    pluginDir: join(projectDir, 'target', 'plugins'),
    log4jConfig: join(projectDir, 'log4j2.properties'),
    java,
  };
}

/** True when the jars of the pinned versions are already in place. */
export function isRuntimeFetched(artifacts: RuntimeArtifacts): boolean {
  return (
    existsSync(join(artifacts.libDir, `kafka_2.13-${artifacts.kafkaVersion}.jar`)) &&
    existsSync(join(artifacts.libDir, `connect-runtime-${artifacts.kafkaVersion}.jar`)) &&
    // Added later than the rest: a runtime fetched before it is fetched again.
    existsSync(join(artifacts.libDir, `connect-basic-auth-extension-${artifacts.kafkaVersion}.jar`)) &&
    existsSync(join(artifacts.pluginDir, 'debezium-connector-postgres', `debezium-connector-postgres-${artifacts.debeziumVersion}.jar`))
  );
}

export interface EnsureRuntimeOptions {
  projectDir?: string;
  /** Receives progress lines ("fetching ..."). */
  onProgress?: (message: string) => void;
}

/**
 * Makes sure Java 17+ is there and the Kafka and Debezium jars are fetched (once, with Maven;
 * skipped when already present). Concurrent callers (parallel test files) wait for one fetch.
 */
export async function ensureCdcRuntime(options: EnsureRuntimeOptions = {}): Promise<RuntimeArtifacts> {
  const projectDir = options.projectDir ?? RUNTIME_PROJECT_DIR;
  const artifacts = artifactsOf(projectDir, findJava());
  if (isRuntimeFetched(artifacts)) return artifacts;

  const mvn = findMaven();
  const release = await acquireLock(join(projectDir, 'target', '.fetch.lock'));
  try {
    if (isRuntimeFetched(artifacts)) return artifacts;
    options.onProgress?.(`fetching Kafka ${artifacts.kafkaVersion} and Debezium ${artifacts.debeziumVersion} from Maven Central (once)`);
    const logFile = join(projectDir, 'target', 'fetch.log');
    const out = openSync(logFile, 'w');
    const status = await new Promise<number | null>((resolveExit, reject) => {
      const child = spawn(mvn, ['-B', '-q', 'package'], { cwd: projectDir, stdio: ['ignore', out, out] });
      child.on('error', reject);
      child.on('exit', (code) => resolveExit(code));
    }).finally(() => closeSync(out));
    if (status !== 0 || !isRuntimeFetched(artifacts)) {
      const tail = readFileSync(logFile, 'utf8').split('\n').slice(-20).join('\n');
      throw new CdcRuntimeError(`Fetching the CDC runtime with Maven failed (exit ${status}); see ${logFile}:\n${tail}`);
    }
    return artifacts;
  } finally {
    release();
  }
}

/** A lock directory (atomic mkdir); a lock older than 10 minutes is taken as abandoned. */
async function acquireLock(lockDir: string): Promise<() => void> {
  mkdirSync(resolve(lockDir, '..'), { recursive: true });
  for (;;) {
    try {
      mkdirSync(lockDir);
      return () => rmSync(lockDir, { recursive: true, force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      try {
        if (Date.now() - statSync(lockDir).mtimeMs > 10 * 60_000) rmSync(lockDir, { recursive: true, force: true });
      } catch {
        // Released meanwhile.
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}
