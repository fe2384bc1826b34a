import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';

/**
 * Creates a folder only its owner can enter (0700), or narrows an existing one to 0700: `mkdir`'s
 * mode applies only to a folder it creates, and the umask can widen nothing but can narrow it.
 */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
}

/**
 * Writes a file only its owner can read (0600). `writeFileSync`'s mode applies only when it creates
 * the file, so an existing file (written by an older version, or copied with other rights) is
 * narrowed too.
 */
export function writePrivateFile(file: string, content: string): void {
  writeFileSync(file, content, { mode: 0o600 });
  chmodSync(file, 0o600);
}
