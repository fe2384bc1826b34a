import type { AuditRecord } from '../audit/audit-log.js';
import type { DiffReport } from '../compare/compare-store.js';
import type { FlipOutcome, FlipRequest, FlipService } from './flip-service.js';

type FenceLift = Awaited<ReturnType<FlipService['liftFence']>>;
import type { ProxyStatus } from './status.js';

/** The admin API answered with an error, or could not be reached (`status` 0). */
export class AdminApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'AdminApiError';
  }
}

/** A small typed client of the proxy's admin API (used by the CLI and the tests). */
export class AdminClient {
  constructor(
    private readonly baseUrl: string,
    private readonly token: string | undefined,
    private readonly timeoutMs = 15_000,
  ) {}

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl.replace(/\/$/, '')}/api${path}`, {
        method,
        headers: { ...(this.token ? { authorization: `Bearer ${this.token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}), accept: 'application/json' },
        body: body ? JSON.stringify(body) : undefined,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err instanceof Error ? err.message : String(err));
      throw new AdminApiError(0, 'unreachable', `the proxy's admin API at ${this.baseUrl} is unreachable (${cause}); is the proxy running? (npm start)`);
    }
    const text = await response.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (!response.ok) {
      const error = (json as { error?: { code?: string; message?: string } } | undefined)?.error;
      throw new AdminApiError(response.status, error?.code ?? 'http_error', error?.message ?? `${method} ${path} answered ${response.status}`);
    }
    return json as T;
  }

  status(): Promise<ProxyStatus> {
    return this.call('GET', '/domains');
  }

  flip(domain: string, request: FlipRequest): Promise<FlipOutcome> {
    return this.call('POST', `/domains/${encodeURIComponent(domain)}/flip`, request);
  }

  rollback(domain: string, reason?: string): Promise<FlipOutcome> {
    return this.call('POST', `/domains/${encodeURIComponent(domain)}/rollback`, reason ? { reason } : {});
  }

  liftFence(domain: string): Promise<FenceLift> {
    return this.call('POST', `/domains/${encodeURIComponent(domain)}/fence/lift`, {});
  }

  diffs(domain: string, windowMinutes?: number): Promise<DiffReport> {
    return this.call('GET', `/domains/${encodeURIComponent(domain)}/diffs${windowMinutes ? `?window=${windowMinutes}` : ''}`);
  }

  audit(options: { domain?: string; limit?: number } = {}): Promise<{ entries: AuditRecord[] }> {
    const query = new URLSearchParams();
    if (options.domain) query.set('domain', options.domain);
    if (options.limit) query.set('limit', String(options.limit));
    return this.call('GET', `/audit${query.size ? `?${query}` : ''}`);
  }
}
