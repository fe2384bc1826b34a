import type { IncomingMessage, ServerResponse } from 'node:http';
import { COMMIT_LSN_HEADER, CONSISTENCY_TOKEN_COOKIE, CONSISTENCY_TOKEN_HEADER, parseLsn, type Logger } from '@strangler/platform';
import onHeaders from 'on-headers';
import { Counter, Histogram, type Registry } from 'prom-client';
import type { ConsistencyToken, TokenSigner } from './token.js';
import type { WatermarkWatch } from './watermark-watch.js';

/** The client's token: API clients send back the response header they received... */
export const TOKEN_HEADER = CONSISTENCY_TOKEN_HEADER;
/** ...browsers the HttpOnly cookie. */
export const TOKEN_COOKIE = CONSISTENCY_TOKEN_COOKIE;
export { COMMIT_LSN_HEADER };

const COOKIE_PATTERN = new RegExp(`(?:^|;\\s*)${TOKEN_COOKIE}=([^;]*)`);
const COOKIE_STRIP = new RegExp(`(^|;\\s*)${TOKEN_COOKIE}=[^;]*(;\\s*)?`, 'g');

export interface ReadYourWritesOptions {
  signer: TokenSigner;
  /** The system whose commit positions the monolith reports (`legacy-monolith`). */
  monolith: string;
  /** Per extracted service: its watermark of the monolith's data and how long a read may wait for it. */
  services: Map<string, { watch: WatermarkWatch; waitMs: number }>;
  registry: Registry;
  logger: Logger;
}

/**
 * Read-your-writes through the stable URL with consistency tokens (ADR-0021). The proxy turns the
 * monolith's commit position into a signed token for the client; a read it would route to a new
 * service is served there only once that service's watermark has reached the client's token.
 */
export class ReadYourWrites {
  private readonly reads;
  private readonly waited;

  constructor(private readonly options: ReadYourWritesOptions) {
    const registers = [options.registry];
    this.reads = new Counter({
      name: 'strangler_ryw_reads_total',
      help: 'Reads carrying a consistency token that the proxy would route to a new service: served_new (watermark already there), waited (served by the service after waiting), fell_back (served by the monolith)',
      labelNames: ['service', 'outcome'] as const,
      registers,
    });
    this.waited = new Histogram({
      name: 'strangler_ryw_wait_seconds',
      help: 'How long reads waited for the service watermark to reach their token',
      labelNames: ['service', 'outcome'] as const,
      buckets: [0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1, 2],
      registers,
    });
  }

  /**
   * Takes the client's token off the request (header and cookie), so that no upstream ever sees a
   * client's value, and returns it when its signature holds; anything else reads as no token.
   */
  takeToken(req: IncomingMessage): ConsistencyToken | undefined {
    const header = req.headers[TOKEN_HEADER];
    delete req.headers[TOKEN_HEADER];
    delete req.headers[COMMIT_LSN_HEADER];
    const cookies = req.headers.cookie;
    let cookie: string | undefined;
    if (cookies?.includes(TOKEN_COOKIE)) {
      cookie = COOKIE_PATTERN.exec(cookies)?.[1];
      const rest = cookies.replace(COOKIE_STRIP, '$1').replace(/;\s*$/, '');
      if (rest) req.headers.cookie = rest;
      else delete req.headers.cookie;
    }
    const { signer } = this.options;
    return signer.verify(typeof header === 'string' ? header : undefined) ?? signer.verify(cookie);
  }

  /**
   * For a write: when the answer carries the monolith's commit position, the client gets it as a
   * token (header and cookie) and the internal header is removed. Runs as the headers are written.
   */
  issueOnWrite(res: ServerResponse): void {
    onHeaders(res, () => {
      const reported = res.getHeader(COMMIT_LSN_HEADER);
      if (reported === undefined) return;
      res.removeHeader(COMMIT_LSN_HEADER);
      const lsn = parseLsn(String(reported));
      if (lsn === undefined || String(res.getHeader('x-served-by')) !== this.options.monolith) return;
      const token = this.options.signer.issue({ system: this.options.monolith, lsn });
      res.setHeader(TOKEN_HEADER, token);
      const cookie = `${TOKEN_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Lax; Max-Age=3600`;
      const existing = res.getHeader('set-cookie');
      res.setHeader('set-cookie', existing === undefined ? [cookie] : [...(Array.isArray(existing) ? existing.map(String) : [String(existing)]), cookie]);
    });
  }

  /**
   * Where a safe request routed to `service` goes: the service when no token asks for more, or when
   * its watermark reaches the token within the manifest's wait; else the monolith.
   */
  async sideFor(service: string, token: ConsistencyToken | undefined): Promise<'new' | 'legacy'> {
    const target = this.options.services.get(service);
    // No token, or a position in the service's own data (owned), or in data it does not project.
    if (!token || !target || token.system !== this.options.monolith) return 'new';
    const known = target.watch.current();
    if (known && known.lsn >= token.lsn) {
      this.reads.inc({ service, outcome: 'served_new' });
      return 'new';
    }
    const started = performance.now();
    const reached = await target.watch.reach(token.lsn, target.waitMs);
    const outcome = reached ? 'waited' : 'fell_back';
    this.reads.inc({ service, outcome });
    this.waited.observe({ service, outcome }, (performance.now() - started) / 1000);
    return reached ? 'new' : 'legacy';
  }

  close(): void {
    for (const { watch } of this.options.services.values()) watch.close();
  }
}
