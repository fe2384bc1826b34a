import { fileURLToPath } from 'node:url';
import { readAdrDir } from '@strangler/adr-tools/adr-dir';
import { Marked } from 'marked';
import { escapeHtml } from './pages.js';

/** The repository's decision records (docs/adr), beside this package. */
export const DEFAULT_ADR_DIR = fileURLToPath(new URL('../../../docs/adr', import.meta.url));

export interface RenderedAdr {
  number: number;
  title: string;
  status: string;
  date: string | null;
  /** The record's body as HTML, headings two levels down (raw HTML in the Markdown is shown as text). */
  html: string;
}


const markdown = new Marked({
  gfm: true,
  renderer: {
    html: ({ text }) => escapeHtml(text),
    // The record sits under the page's own headings (domain h2, "Decision" h3): its ## becomes h4.
    heading({ tokens, depth }) {
      const level = Math.min(depth + 2, 6);
      return `<h${level}>${this.parser.parseInline(tokens)}</h${level}>\n`;
    },
    link({ href, tokens }) {
      const label = this.parser.parseInline(tokens);
      // Links between records become links to the dashboard's rendering of them; other relative links go nowhere.
      const record = /^(\d{4})-[a-z0-9-]+\.md$/.exec(href);
      if (record) return `<a href="/ui/adrs/${Number(record[1])}">${label}</a>`;
      return /^https?:\/\//.test(href) ? `<a href="${escapeHtml(href)}" rel="noreferrer">${label}</a>` : label;
    },
  },
});

/** Reads and renders the decision records once; a record that changes on disk shows after a restart. */
export class AdrRecords {
  private loaded: Promise<Map<number, RenderedAdr>> | undefined;

  constructor(private readonly dir: string = DEFAULT_ADR_DIR) {}

  async get(number: number): Promise<RenderedAdr | undefined> {
    this.loaded ??= this.load().catch(() => new Map());
    return (await this.loaded).get(number);
  }

  private async load(): Promise<Map<number, RenderedAdr>> {
    const records = new Map<number, RenderedAdr>();
    for (const r of (await readAdrDir(this.dir)).records) {
      if (!r.title) continue;
      const body = r.body.replace(/^\s*# .*\n/, '');
      records.set(r.number, {
        number: r.number,
        title: r.title,
        status: typeof r.status === 'string' ? r.status : 'unknown',
        date: typeof r.date === 'string' ? r.date : r.date instanceof Date ? r.date.toISOString().slice(0, 10) : null,
        html: await markdown.parse(body),
      });
    }
    return records;
  }
}
