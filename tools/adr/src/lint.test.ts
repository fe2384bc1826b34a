import { cp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { setStatus, supersede, writeIndex } from './commands.js';
import { lint, relativeLinks } from './lint.js';
import { copyOfRepository, fileOf, highestNumber, type Fixture } from './testing/fixture.js';

let fx: Fixture;

beforeEach(async () => {
  fx = await copyOfRepository();
});
afterEach(async () => {
  await fx.cleanup();
});

const problems = async (): Promise<string[]> => (await lint(fx.adrDir, fx.manifestDir)).problems.map((p) => `${p.file}: ${p.message}`);

/** Rewrites record `n` with `edit` and regenerates the index, so that only the edit is at fault. */
async function editRecord(n: number, edit: (text: string) => string): Promise<void> {
  const path = join(fx.adrDir, await fileOf(fx.adrDir, n));
  await writeFile(path, edit(await readFile(path, 'utf8')));
  await writeIndex(fx.adrDir);
}

async function writeManifest(name: string, text: string): Promise<void> {
  await writeFile(join(fx.manifestDir, name), text);
}

describe('adr lint', () => {
  it('finds no problem in the repository as it is', async () => {
    const result = await lint(fx.adrDir, fx.manifestDir);

    expect(result.problems).toEqual([]);
    expect(result.records).toBe(await highestNumber(fx.adrDir));
    expect(result.manifestRefs).toBeGreaterThanOrEqual(1);
  });

  it('reports a gap in the numbering', async () => {
    const last = await highestNumber(fx.adrDir);
    const file = await fileOf(fx.adrDir, last);
    await rename(join(fx.adrDir, file), join(fx.adrDir, file.replace(/^\d{4}/, String(last + 1).padStart(4, '0'))));
    await writeIndex(fx.adrDir);

    expect(await problems()).toContainEqual(expect.stringMatching(new RegExp(`numbering has a gap: no record numbered ${String(last).padStart(4, '0')}`)));
  });

  it('reports two files claiming the same number', async () => {
    await cp(join(fx.adrDir, await fileOf(fx.adrDir, 1)), join(fx.adrDir, '0001-record-decisions-again.md'));
    await writeIndex(fx.adrDir);

    expect(await problems()).toContainEqual(expect.stringMatching(/ADR 0001 is claimed by 2 files: 0001-record-architecture-decisions.md, 0001-record-decisions-again.md/));
  });

  it('reports a status that does not exist', async () => {
    await editRecord(4, (t) => t.replace('status: accepted', 'status: approved'));

    expect(await problems()).toContainEqual(expect.stringMatching(/0004-.*\.md: status "approved" is not one of proposed, accepted/));
  });

  it('reports a date that is not a real YYYY-MM-DD date', async () => {
    await editRecord(4, (t) => t.replace('date: 2026-11-22', 'date: 2026-02-30'));

    expect(await problems()).toContainEqual(expect.stringMatching(/0004-.*\.md: date "2026-02-30" is not a YYYY-MM-DD date/));
  });

  it('reports a record without front matter', async () => {
    await editRecord(4, (t) => t.replace(/^---\n[\s\S]*?\n---\n/, ''));

    expect(await problems()).toContainEqual(expect.stringMatching(/0004-.*\.md: has no front matter/));
  });

  it('reports a broken relative link', async () => {
    await editRecord(3, (t) => `${t}\nSee [the old plan](0099-old-plan.md#options).\n`);

    expect(await problems()).toContainEqual(expect.stringMatching(/0003-.*\.md: link to 0099-old-plan.md#options is broken/));
  });

  it('reports a title that does not match the file name', async () => {
    await editRecord(5, (t) => t.replace(/^# .*$/m, '# Flags in the proxy database'));

    expect(await problems()).toContainEqual(expect.stringMatching(/0005-unleash-for-flips.md: title "Flags in the proxy database" does not match the file name; the file should be 0005-flags-in-the-proxy-database.md/));
  });

  it('reports a file that is not named NNNN-kebab-title.md', async () => {
    const file = await fileOf(fx.adrDir, 5);
    await rename(join(fx.adrDir, file), join(fx.adrDir, '5-Unleash_for_flips.md'));
    await writeIndex(fx.adrDir);

    expect(await problems()).toContainEqual(expect.stringMatching(/5-Unleash_for_flips.md: is not named NNNN-kebab-title.md/));
  });

  it('reports a stale index', async () => {
    const path = join(fx.adrDir, await fileOf(fx.adrDir, 6));
    await writeFile(path, (await readFile(path, 'utf8')).replace('date: 2026-11-22', 'date: 2026-11-23'));

    expect(await problems()).toEqual([expect.stringMatching(/README.md: is out of date; run: npm run adr -- index/)]);
  });

  it('reports a missing index', async () => {
    await rm(join(fx.adrDir, 'README.md'));

    expect(await problems()).toEqual([expect.stringMatching(/README.md: is missing/)]);
  });

  it('reports a superseded record whose successor does not link back', async () => {
    const last = await highestNumber(fx.adrDir);
    await supersede('2', 'Envoy in front of the monolith', { dir: fx.adrDir, today: '2031-01-01' });
    await editRecord(last + 1, (t) => t.replace('supersedes: 2\n', ''));

    expect(await problems()).toContainEqual(expect.stringMatching(/0002-.*\.md: superseded-by \d+, but .* does not list 2 under supersedes/));
  });

  it('reports a manifest that cites a record that does not exist', async () => {
    await writeManifest('orders.yaml', 'domain: orders\nadr: 77\n');

    expect(await problems()).toContainEqual(expect.stringMatching(/orders.yaml:2: adr: cites ADR 0077, which does not exist/));
  });

  it('reports a manifest that cites a record that is not accepted', async () => {
    await setStatus('9', 'deprecated', { dir: fx.adrDir, today: '2031-01-01' });

    expect(await problems()).toEqual([expect.stringMatching(/catalog.yaml:\d+: adr: cites ADR 0009, which is deprecated, not accepted/)]);
  });

  it('names the successor when a manifest cites a superseded record', async () => {
    const last = await highestNumber(fx.adrDir);
    await supersede('9', 'Extract inventory first', { dir: fx.adrDir, today: '2031-01-01', status: 'accepted' });

    expect(await problems()).toEqual([
      expect.stringMatching(new RegExp(`catalog.yaml:\\d+: adr: cites ADR 0009, which is superseded, not accepted; cite ADR ${String(last + 1).padStart(4, '0')}`)),
    ]);
  });

  it('checks adr keys at any depth of a manifest, even one that fails other validation', async () => {
    await writeManifest(
      'orders.yaml',
      ['domain: Orders Domain # not kebab-case', 'adr: 9', 'routes:', '  - method: GET', '    path: /api/orders', '    adr: 4321', '  - { method: POST, path: /api/orders, extra: { adr: 0 } }', ''].join('\n'),
    );

    const found = await problems();
    expect(found).toContainEqual(expect.stringMatching(/orders.yaml:6: routes.0.adr: cites ADR 4321, which does not exist/));
    expect(found).toContainEqual(expect.stringMatching(/orders.yaml:7: routes.1.extra.adr: "0" is not an ADR number/));
    expect(found).toHaveLength(2);
  });

  it('reports a manifest whose adr is not a number', async () => {
    await writeManifest('orders.yaml', 'domain: orders\nadr: "9"\n');

    expect(await problems()).toContainEqual(expect.stringMatching(/orders.yaml:2: adr: "9" is not an ADR number/));
  });

  it('reports a manifest that is not valid YAML, since its references cannot be checked', async () => {
    await writeManifest('orders.yaml', 'domain: orders\nadr: [9\n');

    expect(await problems()).toContainEqual(expect.stringMatching(/orders.yaml: is not valid YAML, so its ADR references cannot be checked/));
  });
});

describe('relative links', () => {
  it('are the Markdown link targets that are neither URLs, anchors nor inside code', () => {
    const text = ['[a](0001-a.md) [b](https://x.org) [c](#top) [d](../x.md#part "T")', '`[e](e.md)`', '```', '[f](f.md)', '```', '[g](<g h.md>)'].join('\n');

    expect(relativeLinks(text)).toEqual(['0001-a.md', '../x.md#part', 'g h.md']);
  });
});
