import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';

/** A JVM the launcher started (or found running from an earlier start), tracked by its pid file. */
export interface JvmProcess {
  name: string;
  pid: number;
  /** True when this process was already running and has been adopted rather than started. */
  reused: boolean;
  logFile: string;
  /** SIGTERM, then SIGKILL after `timeoutMs`; resolves once the process is gone. */
  stop(timeoutMs?: number): Promise<void>;
  /** Sends a signal without waiting (tests use SIGKILL to simulate a crash). */
  kill(signal: NodeJS.Signals): void;
  exited(): boolean;
  /** Resolves when the process has exited (for any reason): its exit code or signal, both null for an adopted process. */
  whenExited: Promise<{ code: number | null; signal: string | null }>;
}

/** `c1`: the client compiler only (less CPU while a JVM starts); `tiered`: C1, then C2 for hot code (faster under load). */
export type JvmCompiler = 'c1' | 'tiered';

export interface JvmSpec {
  name: string;
  java: string;
  mainClass: string;
  args: string[];
  classpath: string;
  /** e.g. { min: '128m', max: '512m' } */
  heap: { min: string; max: string };
  /** The JIT: C1 only, or C1 then C2 for hot code (ADR-0040). Default `c1`. */
  compiler?: JvmCompiler;
  log4jConfig: string;
  logFile: string;
  pidFile: string;
  extraJvmOptions?: string[];
  /**
   * The JVM's class-data-sharing archive (AppCDS, ADR-0029): used when it exists; otherwise this start
   * records one, written when the JVM exits cleanly, for the next start.
   */
  classArchive?: string;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The pid in `pidFile` if that process is alive and runs `mainClass` (a recycled pid does not count). */
export function runningPid(pidFile: string, mainClass: string): number | undefined {
  if (!existsSync(pidFile)) return undefined;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return undefined;
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    if (!cmdline.includes(mainClass)) return undefined;
  } catch {
    // No /proc (not Linux): trust the pid file.
  }
  return pid;
}

/** Runs a JVM to completion (storage formatting); rejects with its output tail on failure. */
export async function runJvmOnce(spec: Omit<JvmSpec, 'pidFile'>): Promise<void> {
  const out = openSync(spec.logFile, 'a');
  try {
    const code = await new Promise<number | null>((resolveExit, reject) => {
      const child = spawn(spec.java, [...jvmOptions(spec), '-cp', spec.classpath, spec.mainClass, ...spec.args], {
        stdio: ['ignore', out, out],
      });
      child.on('error', reject);
      child.on('exit', (c) => resolveExit(c));
    });
    if (code !== 0) throw new Error(`${spec.name} exited with ${code}; see ${spec.logFile}:\n${tail(spec.logFile)}`);
  } finally {
    closeSync(out);
  }
}

/**
 * Starts a JVM in its own process group (so a terminal's Ctrl-C reaches the launcher, which then
 * stops Connect before the broker), with stdout and stderr appended to its log file.
 */
export function startJvm(spec: JvmSpec): JvmProcess {
  const out = openSync(spec.logFile, 'a');
  const child = spawn(spec.java, [...jvmOptions(spec), '-cp', spec.classpath, spec.mainClass, ...spec.args], {
    stdio: ['ignore', out, out],
    detached: true,
  });
  closeSync(out);
  if (child.pid === undefined) throw new Error(`${spec.name} could not be started with ${spec.java}`);
  child.unref();
  // Reap the child when it exits, so it does not linger as a zombie that still looks alive.
  let exited = false;
  const whenExited = new Promise<{ code: number | null; signal: string | null }>((resolveExit) => {
    child.on('exit', (code, signal) => {
      exited = true;
      resolveExit({ code, signal });
    });
    child.on('error', () => {
      exited = true;
      resolveExit({ code: 127, signal: null });
    });
  });
  writeFileSync(spec.pidFile, `${child.pid}\n`);
  const handle = handleFor(spec.name, child.pid, false, spec.logFile, spec.pidFile, () => exited, whenExited);
  const recording = spec.classArchive && !existsSync(spec.classArchive) ? spec.classArchive : undefined;
  if (!recording) return handle;
  // The JVM writes the archive as it exits: only an exit after SIGTERM or a normal end leaves a whole one.
  void whenExited.then(({ code, signal }) => {
    if (signal === null && (code === 0 || code === 143) && existsSync(`${recording}.dump`)) renameSync(`${recording}.dump`, recording);
  });
  // Writing it takes a few CPU-seconds (half a minute and more on a loaded machine): no SIGKILL before.
  return { ...handle, stop: (timeoutMs = 30_000) => handle.stop(Math.max(timeoutMs, RECORDING_STOP_TIMEOUT_MS)) };
}

/** How long a JVM that records its class-data archive at exit gets to stop before SIGKILL. */
const RECORDING_STOP_TIMEOUT_MS = 120_000;

/** A handle for a JVM found running from an earlier start. */
export function adoptJvm(name: string, pid: number, logFile: string, pidFile: string): JvmProcess {
  const whenExited = new Promise<{ code: number | null; signal: string | null }>((resolveExit) => {
    const timer = setInterval(() => {
      if (!isAlive(pid)) {
        clearInterval(timer);
        resolveExit({ code: null, signal: null });
      }
    }, 1_000);
    timer.unref();
  });
  return handleFor(name, pid, true, logFile, pidFile, () => !isAlive(pid), whenExited);
}

function handleFor(
  name: string,
  pid: number,
  reused: boolean,
  logFile: string,
  pidFile: string,
  hasExited: () => boolean,
  whenExited: JvmProcess['whenExited'],
): JvmProcess {
  const gone = () => hasExited() || !isAlive(pid);
  return {
    name,
    pid,
    reused,
    logFile,
    exited: gone,
    whenExited,
    kill: (signal) => {
      if (!gone()) process.kill(pid, signal);
    },
    stop: async (timeoutMs = 30_000) => {
      if (!gone()) {
        process.kill(pid, 'SIGTERM');
        const deadline = Date.now() + timeoutMs;
        while (!gone() && Date.now() < deadline) await sleep(100);
        if (!gone()) {
          process.kill(pid, 'SIGKILL');
          while (!gone()) await sleep(50);
        }
      }
      const current = existsSync(pidFile) ? readFileSync(pidFile, 'utf8').trim() : '';
      if (current === String(pid)) rmSync(pidFile, { force: true });
    },
  };
}

/**
 * Options tuned for a small machine (ADR-0029, ADR-0040; measured in bench/results/start.md and
 * cutover.md): the serial collector (one broker or Connect worker on loopback never needs G1's
 * concurrency); C1 only for a JVM that lives a few seconds (a test's: half the CPU of C2 while it
 * loads its classes), C1 then C2 for one that carries load (the stack's: Debezium's decoding and the
 * converters cost less CPU once C2 has compiled them).
 */
function jvmOptions(spec: Pick<JvmSpec, 'heap' | 'log4jConfig' | 'extraJvmOptions' | 'classArchive' | 'compiler'>): string[] {
  return [
    `-Xms${spec.heap.min}`,
    `-Xmx${spec.heap.max}`,
    '-XX:+UseSerialGC',
    ...((spec.compiler ?? 'c1') === 'c1' ? ['-XX:TieredStopAtLevel=1'] : []),
    ...classDataSharing(spec.classArchive),
    '-XX:+ExitOnOutOfMemoryError',
    '-Djava.awt.headless=true',
    `-Dlog4j2.configurationFile=${spec.log4jConfig}`,
    ...(spec.extraJvmOptions ?? []),
  ];
}

/**
 * AppCDS: map the classes of the last run from an archive instead of loading and verifying them from
 * 90 jars again. Without an archive, record one at exit (into `.dump`; renamed once the JVM ended
 * cleanly) and keep the recording's long list of classes it cannot archive out of the log.
 * A stale archive (another JDK, changed jars) is refused by the JVM with a warning and the start goes on without it.
 */
function classDataSharing(archive: string | undefined): string[] {
  if (!archive) return [];
  if (existsSync(archive)) return [`-XX:SharedArchiveFile=${archive}`];
  return [`-XX:ArchiveClassesAtExit=${archive}.dump`, '-Xlog:cds*=error'];
}

/** The last lines of a log file, for error messages. */
export function tail(file: string, lines = 25): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
