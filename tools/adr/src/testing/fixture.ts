import { cp, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(fileURLToPath(new URL('../../../..', import.meta.url)));

/** A temporary copy of the repository's `docs/adr/` and `migrations/*.yaml`, for tests that write. */
export interface Fixture {
  root: string;
  adrDir: string;
  manifestDir: string;
  /** Every file of both folders with its text, to prove that a refused command changed nothing. */
  snapshot(): Promise<Map<string, string>>;
  read(file: string): Promise<string>;
  cleanup(): Promise<void>;
}

export async function copyOfRepository(): Promise<Fixture> {
  const root = await mkdtemp(join(tmpdir(), 'adr-test-'));
  const adrDir = join(root, 'docs/adr');
  const manifestDir = join(root, 'migrations');
  await cp(join(REPO_ROOT, 'docs/adr'), adrDir, { recursive: true });
  await mkdir(manifestDir, { recursive: true });
  for (const name of await readdir(join(REPO_ROOT, 'migrations'))) {
    if (/\.ya?ml$/.test(name)) await cp(join(REPO_ROOT, 'migrations', name), join(manifestDir, name));
  }
  const snapshot = async (): Promise<Map<string, string>> => {
    const files = new Map<string, string>();
    for (const dir of [adrDir, manifestDir]) {
      for (const name of (await readdir(dir)).sort()) files.set(join(dir, name), await readFile(join(dir, name), 'utf8'));
    }
    return files;
  };
  return {
    root,
    adrDir,
    manifestDir,
    snapshot,
    read: (file) => readFile(join(adrDir, file), 'utf8'),
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}

/** The highest record number in a folder. */
export async function highestNumber(adrDir: string): Promise<number> {
  return Math.max(0, ...(await readdir(adrDir)).map((f) => /^(\d{4})-/.exec(f)?.[1]).filter((n): n is string => n !== undefined).map(Number));
}

/** The file name of record `n`. */
export async function fileOf(adrDir: string, n: number): Promise<string> {
  const prefix = `${String(n).padStart(4, '0')}-`;
  const name = (await readdir(adrDir)).find((f) => f.startsWith(prefix));
  if (!name) throw new Error(`no record ${n} in ${adrDir}`);
  return name;
}
