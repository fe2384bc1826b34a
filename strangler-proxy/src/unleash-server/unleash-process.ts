import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The built entry point; `npm run build` (or `npm install`) produces it. */
export const UNLEASH_MAIN = fileURLToPath(new URL('../../dist/unleash-server/main.js', import.meta.url));

export interface UnleashProcessOptions {
  databaseUrl: string;
  port: number;
  adminToken: string;
  clientToken: string;
  logFile: string;
  startTimeoutMs?: number;
}

export interface UnleashProcess {
  url: string;
  child: ChildProcess;
  /** SIGTERM and wait for the exit. */
  stop(): Promise<void>;
}

/** Starts Unleash as a child process and waits until `/health` answers. */
export async function startUnleashProcess(options: UnleashProcessOptions): Promise<UnleashProcess> {
  if (!existsSync(UNLEASH_MAIN)) throw new Error(`${UNLEASH_MAIN} is missing: run npm run build first`);
  const log = createWriteStream(options.logFile, { flags: 'a' });
  const child = spawn(process.execPath, [UNLEASH_MAIN], {
    env: {
      ...process.env,
      UNLEASH_DATABASE_URL: options.databaseUrl,
      UNLEASH_PORT: String(options.port),
      UNLEASH_HOST: '127.0.0.1',
      UNLEASH_ADMIN_TOKEN: options.adminToken,
      UNLEASH_CLIENT_TOKEN: options.clientToken,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  const url = `http://127.0.0.1:${options.port}`;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + (options.startTimeoutMs ?? 90_000);
  for (;;) {
    if (child.exitCode !== null) throw new Error(`unleash exited with code ${child.exitCode}; see ${options.logFile}`);
    try {
      const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1000) });
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`unleash did not become healthy on ${url}; see ${options.logFile}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    url,
    child,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      log.end();
    },
  };
}
