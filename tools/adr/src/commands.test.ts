import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeAll } from './adr-dir.js';
import { listRecords, newRecord, setStatus, supersede, writeIndex } from './commands.js';
import { UsageError } from './errors.js';
import { lint } from './lint.js';
import { parseRecord } from './record.js';
import { copyOfRepository, fileOf, highestNumber, type Fixture } from './testing/fixture.js';

const TODAY = '2031-05-04';
let fx: Fixture;
let highest: number;

beforeEach(async () => {
  fx = await copyOfRepository();
  highest = await highestNumber(fx.adrDir);
});
afterEach(async () => {
  await fx.cleanup();
});

const opts = (): { dir: string; today: string } => ({ dir: fx.adrDir, today: TODAY });
const next = (): string => String(highest + 1).padStart(4, '0');

/** Runs a command that must be refused: it throws a UsageError matching `message` and changes no file. */
async function expectRefused(run: () => Promise<unknown>, message: RegExp): Promise<void> {
  const before = await fx.snapshot();
  const error = await run().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UsageError);
  expect((error as Error).message).toMatch(message);
  expect(await fx.snapshot()).toEqual(before);
}

describe('adr new', () => {
  it('writes the next number with a kebab-case file name and the MADR 4 template', async () => {
    const path = await newRecord('Use gRPC between services?', opts());

    expect(path).toBe(join(fx.adrDir, `${next()}-use-grpc-between-services.md`));
    const text = await fx.read(`${next()}-use-grpc-between-services.md`);
    const parsed = parseRecord(text);
    expect(parsed.frontMatter).toEqual({ status: 'proposed', date: TODAY, 'decision-makers': '{list everyone involved in the decision}' });
    expect(parsed.title).toBe('Use gRPC between services?');
    for (const section of ['## Context and Problem Statement', '## Considered Options', '## Decision Outcome', '### Consequences', '## Pros and Cons of the Options']) {
      expect(text).toContain(section);
    }
  });

  it('takes the status and decision makers given, quoting them safely in the front matter', async () => {
    await newRecord('Cache product pages', { ...opts(), status: 'accepted', decisionMakers: 'Ana: lead, Bo' });

    const parsed = parseRecord(await fx.read(`${next()}-cache-product-pages.md`));
    expect(parsed.frontMatter).toMatchObject({ status: 'accepted', 'decision-makers': 'Ana: lead, Bo' });
  });

  it('adds the record to the index so that the repository still lints clean', async () => {
    await newRecord('Cache product pages', opts());

    expect(await fx.read('README.md')).toContain(`| [${next()}](${next()}-cache-product-pages.md) | Cache product pages | proposed | ${TODAY} |`);
    expect((await lint(fx.adrDir, fx.manifestDir)).problems).toEqual([]);
  });

  it('refuses an empty title and changes nothing', async () => {
    await expectRefused(() => newRecord('   ', opts()), /title is empty/);
  });

  it('refuses a title with nothing to name the file after and changes nothing', async () => {
    await expectRefused(() => newRecord('???', opts()), /no letters or digits/);
  });

  it('refuses a status that does not exist and changes nothing', async () => {
    await expectRefused(() => newRecord('Cache product pages', { ...opts(), status: 'approved' }), /"approved" is not a status/);
  });
});

describe('writing files', () => {
  it('refuses to overwrite an existing record and puts back what it already wrote', async () => {
    const existing = join(fx.adrDir, await fileOf(fx.adrDir, 1));
    const before = await fx.snapshot();

    const attempt = writeAll([
      { path: join(fx.adrDir, 'README.md'), text: 'changed index' },
      { path: join(fx.adrDir, 'fresh.md'), text: 'new', create: true },
      { path: existing, text: 'clobbered', create: true },
    ]);

    await expect(attempt).rejects.toThrow(/already exists; refusing to overwrite/);
    expect(await fx.snapshot()).toEqual(before);
  });
});

describe('adr list', () => {
  it('shows number, title, status and date of every record as a table', async () => {
    const table = await listRecords(fx.adrDir);

    expect(table).toMatch(/ADR\s+│\s+Title\s+│\s+Status\s+│\s+Date/);
    expect(table).toMatch(/0001\s+│\s+Record architecture decisions\s+│\s+accepted\s+│\s+2026-11-22/);
    expect(table).toMatch(/0009\s+│\s+Extract the catalog domain first\s+│\s+accepted/);
    expect(table.split('\n').filter((l) => /│ \d{4} /.test(l))).toHaveLength(highest);
  });

  it('shows which record supersedes a superseded one', async () => {
    await supersede('2', 'Envoy in front of the monolith', opts());

    expect(await listRecords(fx.adrDir)).toMatch(new RegExp(`0002\\s+│.*│\\s+superseded by ${next()}`));
  });
});

describe('adr supersede', () => {
  it('writes the new record and links both records each way', async () => {
    const path = await supersede('2', 'Envoy in front of the monolith', opts());

    const newFile = `${next()}-envoy-in-front-of-the-monolith.md`;
    expect(path).toBe(join(fx.adrDir, newFile));
    const oldFile = await fileOf(fx.adrDir, 2);
    const older = parseRecord(await fx.read(oldFile));
    const newer = parseRecord(await fx.read(newFile));
    expect(older.frontMatter).toMatchObject({ status: 'superseded', date: TODAY, 'superseded-by': highest + 1 });
    expect(older.body).toContain(`Superseded by [ADR-${next()}: Envoy in front of the monolith](${newFile}).`);
    expect(newer.frontMatter).toMatchObject({ status: 'proposed', supersedes: 2 });
    expect(newer.body).toContain(`Supersedes [ADR-0002: ${older.title}](${oldFile}).`);
  });

  it('keeps the rest of the superseded record as it was', async () => {
    const oldFile = await fileOf(fx.adrDir, 2);
    const before = parseRecord(await fx.read(oldFile)).body;

    await supersede('2', 'Envoy in front of the monolith', opts());

    const after = parseRecord(await fx.read(oldFile)).body;
    expect(after.replace(/\n\nSuperseded by .*\n/, '\n')).toBe(before);
  });

  it('draws the supersede link in the index graph and lints clean', async () => {
    await supersede('2', 'Envoy in front of the monolith', opts());

    const index = await fx.read('README.md');
    expect(index).toContain('```mermaid');
    expect(index).toContain(`adr${highest + 1}["${next()} Envoy in front of the monolith"] -->|supersedes| adr2["0002 `);
    expect((await lint(fx.adrDir, fx.manifestDir)).problems).toEqual([]);
  });

  it('refuses an unknown number and changes nothing', async () => {
    await expectRefused(() => supersede('99', 'Something else', opts()), /there is no ADR 0099/);
  });

  it('refuses something that is not a number and changes nothing', async () => {
    await expectRefused(() => supersede('two', 'Something else', opts()), /"two" is not an ADR number/);
  });

  it('refuses an empty title and changes nothing', async () => {
    await expectRefused(() => supersede('2', '', opts()), /title is empty/);
  });

  it('refuses to supersede a record that is already superseded and changes nothing', async () => {
    await supersede('2', 'Envoy in front of the monolith', opts());
    await expectRefused(() => supersede('2', 'Kong in front of the monolith', opts()), new RegExp(`already superseded by ADR ${next()}`));
  });

  it('refuses to supersede a proposed record and changes nothing', async () => {
    await newRecord('Cache product pages', opts());
    await expectRefused(() => supersede(String(highest + 1), 'Cache nothing', opts()), /is proposed; only an accepted or deprecated decision/);
  });
});

describe('adr status', () => {
  it('sets the status and the date and keeps the index current', async () => {
    expect(await setStatus('3', 'deprecated', opts())).toBe('ADR 0003 is now deprecated');

    const parsed = parseRecord(await fx.read(await fileOf(fx.adrDir, 3)));
    expect(parsed.frontMatter).toMatchObject({ status: 'deprecated', date: TODAY, 'decision-makers': 'founding team' });
    expect(await fx.read('README.md')).toContain(`| deprecated | ${TODAY} |`);
  });

  it('says so and changes nothing when the status is already the one asked for', async () => {
    const before = await fx.snapshot();
    expect(await setStatus('3', 'accepted', opts())).toMatch(/already accepted; nothing changed/);
    expect(await fx.snapshot()).toEqual(before);
  });

  it('marks a record superseded by another one with links each way', async () => {
    await newRecord('Envoy in front of the monolith', { ...opts(), status: 'accepted' });

    await setStatus('2', 'superseded', { ...opts(), by: String(highest + 1) });

    expect(parseRecord(await fx.read(await fileOf(fx.adrDir, 2))).frontMatter).toMatchObject({ status: 'superseded', 'superseded-by': highest + 1 });
    expect(parseRecord(await fx.read(await fileOf(fx.adrDir, highest + 1))).frontMatter).toMatchObject({ supersedes: 2 });
    expect((await lint(fx.adrDir, fx.manifestDir)).problems).toEqual([]);
  });

  it('refuses a status that does not exist and changes nothing', async () => {
    await expectRefused(() => setStatus('3', 'approved', opts()), /"approved" is not a status; use one of proposed, accepted, rejected, deprecated, superseded/);
  });

  it('refuses an unknown number and changes nothing', async () => {
    await expectRefused(() => setStatus('42', 'rejected', opts()), /there is no ADR 0042/);
  });

  it('refuses superseded without the record that supersedes and changes nothing', async () => {
    await expectRefused(() => setStatus('3', 'superseded', opts()), /--by/);
  });

  it('refuses to supersede a record by itself and changes nothing', async () => {
    await expectRefused(() => setStatus('3', 'superseded', { ...opts(), by: '3' }), /cannot supersede itself/);
  });

  it('refuses to revive a superseded record and changes nothing', async () => {
    await supersede('2', 'Envoy in front of the monolith', opts());
    await expectRefused(() => setStatus('2', 'accepted', opts()), /stays superseded/);
  });
});

describe('adr index', () => {
  it('regenerates README.md with a row per record', async () => {
    await writeFile(join(fx.adrDir, 'README.md'), 'stale');

    await writeIndex(fx.adrDir);

    const index = await fx.read('README.md');
    const records = (await readdir(fx.adrDir)).filter((f) => /^\d{4}-/.test(f));
    for (const file of records) expect(index).toContain(`](${file}) |`);
    expect(index).toContain('No record supersedes another yet.');
    expect((await lint(fx.adrDir, fx.manifestDir)).problems).toEqual([]);
  });
});
