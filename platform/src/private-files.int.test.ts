import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensurePrivateDir, writePrivateFile } from './private-files.js';

const modeOf = (path: string) => statSync(path).mode & 0o777;

describe('private files', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'private-files-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('creates a folder only its owner can enter, and narrows one that was open to everyone', () => {
    const fresh = join(root, 'fresh');
    ensurePrivateDir(fresh);
    expect(modeOf(fresh)).toBe(0o700);

    const open = join(root, 'open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    ensurePrivateDir(open);
    expect(modeOf(open)).toBe(0o700);
  });

  it('writes a file only its owner can read, and narrows an existing world-readable one', () => {
    const file = join(root, 'secret.json');
    writeFileSync(file, 'old', { mode: 0o644 });
    chmodSync(file, 0o644);
    writePrivateFile(file, 'new');
    expect(readFileSync(file, 'utf8')).toBe('new');
    expect(modeOf(file)).toBe(0o600);
  });
});
