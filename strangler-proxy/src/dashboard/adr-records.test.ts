import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AdrRecords } from './adr-records.js';

function adrDir(body: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'adr-records-'));
  writeFileSync(join(dir, '0007-a-decision.md'), `---\nstatus: accepted\ndate: 2026-12-02\n---\n\n# A decision\n\n${body}\n`);
  return dir;
}

describe('a decision record on the dashboard', () => {
  it('is rendered with its title, status and date, without its heading', async () => {
    const adr = await new AdrRecords(adrDir('## Context\n\nSome *text*.')).get(7);
    expect(adr).toMatchObject({ number: 7, title: 'A decision', status: 'accepted', date: '2026-12-02' });
    expect(adr!.html).toContain('<h4>Context</h4>');
    expect(adr!.html).toContain('<em>text</em>');
    expect(adr!.html).not.toContain('<h1>');
  });

  it('shows raw HTML and script links as text, never as markup', async () => {
    const adr = await new AdrRecords(adrDir('<script>alert(1)</script>\n\n[x](javascript:alert(1)) [y](0009-other.md)')).get(7);
    expect(adr!.html).not.toContain('<script>');
    expect(adr!.html).not.toContain('javascript:');
    expect(adr!.html).toContain('<a href="/ui/adrs/9">y</a>');
  });

  it('is undefined when the record does not exist or the folder cannot be read', async () => {
    expect(await new AdrRecords(adrDir('')).get(8)).toBeUndefined();
    expect(await new AdrRecords('/nonexistent/adr').get(7)).toBeUndefined();
  });
});
