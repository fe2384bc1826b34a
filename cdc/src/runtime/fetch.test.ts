import { describe, expect, it } from 'vitest';
import { CdcRuntimeError, findJava, findMaven, javaMajorVersion, pinnedVersions, type CommandProbe } from './fetch.js';

const answers =
  (table: Record<string, { status: number | null; output: string }>): CommandProbe =>
  (command) =>
    table[command] ?? { status: null, output: 'spawn ENOENT' };

describe('finding Java and Maven', () => {
  it('reads the major version of modern and legacy java -version output', () => {
    expect(javaMajorVersion('openjdk version "17.0.15" 2025-04-15')).toBe(17);
    expect(javaMajorVersion('openjdk version "21" 2023-09-19')).toBe(21);
    expect(javaMajorVersion('java version "1.8.0_392"')).toBe(8);
    expect(javaMajorVersion('garbage')).toBeUndefined();
  });

  it('when java is missing, says that Java 17+ is required and how to install it', () => {
    const run = answers({});
    expect(() => findJava(run, {})).toThrow(CdcRuntimeError);
    expect(() => findJava(run, {})).toThrow(/Java 17 or newer is required.*apt-get install openjdk-17-jre-headless/);
  });

  it('when java is older than 17, names the version found', () => {
    const run = answers({ java: { status: 0, output: 'java version "1.8.0_392"' } });
    expect(() => findJava(run, {})).toThrow(/is version 8/);
  });

  it('uses JAVA_HOME when it is set', () => {
    const run = answers({ '/opt/jdk/bin/java': { status: 0, output: 'openjdk version "17.0.2"' } });
    expect(findJava(run, { JAVA_HOME: '/opt/jdk' })).toBe('/opt/jdk/bin/java');
  });

  it('when Maven is missing, says it is needed once to fetch the runtime and how to install it', () => {
    expect(() => findMaven(answers({}))).toThrow(/Maven is required once.*apt-get install maven/);
  });

  it('reads the pinned Kafka and Debezium versions from the Maven project', () => {
    expect(pinnedVersions()).toEqual({ kafka: expect.stringMatching(/^4\.3\./), debezium: expect.stringMatching(/^3\.6\./) });
  });
});
