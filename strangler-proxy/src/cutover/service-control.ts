import { formatLsn, parseLsn } from '@strangler/platform';

/** Where the domain's data sync stands, as the service reports it at `GET /cdc` (ADR-0021, ADR-0025). */
export interface SyncStatus {
  /** The forward projection's watermark (every monolith change before it is applied). */
  watermarkLsn: bigint | undefined;
  owner: 'monolith' | 'service' | undefined;
  epoch: number | undefined;
  /** Events in the service's outbox (every domain event it has emitted). */
  outboxEvents: number | null;
  reverse: {
    consuming: boolean;
    pendingEvents: number | null;
    lagMs: number | null;
    /** Events of the outbox the reverse sync has handled (applied, skipped as seen, dead-lettered). */
    handledEvents: number;
    /** The monolith's current WAL position, read by the reverse sync from the monolith's database. */
    monolithLsn: bigint | undefined;
  } | null;
}

/** What a cutover asks of the service that takes a domain over. */
export interface ServiceControl {
  sync(service: string): Promise<SyncStatus>;
  ownership(service: string, domain: string): Promise<{ owner: string; epoch: number }>;
  setOwner(service: string, domain: string, owner: 'monolith' | 'service', expectedEpoch: number): Promise<{ owner: string; epoch: number }>;
  /**
   * Sets who may write the domain's tables in the monolith's database (the write guard, ADR-0032);
   * returns the monolith's WAL position read once the change took effect.
   */
  setMonolithWriter(service: string, domain: string, owner: 'monolith' | 'service'): Promise<{ owner: string; monolithLsn: bigint }>;
  /** The forward watermark, answered as soon as it reaches `after` or after `waitMs` (the service's long poll). */
  watermark(service: string, after: bigint, waitMs: number): Promise<bigint | undefined>;
}

interface CdcBody {
  watermark?: { lsn?: string } | null;
  sync?: {
    owner?: 'monolith' | 'service';
    epoch?: number;
    outbox?: { events?: number } | null;
    reverse?: { consuming?: boolean; pendingEvents?: number | null; lagMs?: number | null; events?: { applied?: number; stale?: number; deadLettered?: number }; monolithLsn?: string } | null;
  };
}

/**
 * The service's control API over HTTP: `GET /cdc` and `GET|PUT /internal/ownership/:domain` with the
 * shared SERVICE_CONTROL_TOKEN, on a healthy instance of the service.
 */
export class HttpServiceControl implements ServiceControl {
  constructor(
    private readonly instanceOf: (service: string) => URL | undefined,
    private readonly token: string | undefined,
    private readonly timeoutMs = 3_000,
  ) {}

  private async call<T>(service: string, path: string, init: RequestInit = {}, timeoutMs = this.timeoutMs): Promise<T> {
    const base = this.instanceOf(service);
    if (!base) throw new Error(`no healthy instance of ${service}`);
    const url = new URL(path, base);
    const res = await fetch(url, {
      ...init,
      headers: { 'content-type': 'application/json', ...(this.token ? { authorization: `Bearer ${this.token}` } : {}), ...(init.headers as Record<string, string> | undefined) },
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${url.pathname} of ${service} answered ${res.status}${text ? `: ${text.slice(0, 300)}` : ''}`);
    return JSON.parse(text) as T;
  }

  async sync(service: string): Promise<SyncStatus> {
    const body = await this.call<CdcBody>(service, '/cdc');
    const reverse = body.sync?.reverse;
    const events = reverse?.events;
    return {
      watermarkLsn: parseLsn(body.watermark?.lsn ?? undefined),
      owner: body.sync?.owner,
      epoch: body.sync?.epoch,
      outboxEvents: body.sync?.outbox?.events ?? null,
      reverse: reverse
        ? {
            consuming: reverse.consuming === true,
            pendingEvents: reverse.pendingEvents ?? null,
            lagMs: reverse.lagMs ?? null,
            handledEvents: (events?.applied ?? 0) + (events?.stale ?? 0) + (events?.deadLettered ?? 0),
            monolithLsn: parseLsn(reverse.monolithLsn),
          }
        : null,
    };
  }

  ownership(service: string, domain: string): Promise<{ owner: string; epoch: number }> {
    return this.call(service, `/internal/ownership/${encodeURIComponent(domain)}`);
  }

  setOwner(service: string, domain: string, owner: 'monolith' | 'service', expectedEpoch: number): Promise<{ owner: string; epoch: number }> {
    return this.call(service, `/internal/ownership/${encodeURIComponent(domain)}`, { method: 'PUT', body: JSON.stringify({ owner, expectedEpoch }) });
  }

  async watermark(service: string, after: bigint, waitMs: number): Promise<bigint | undefined> {
    const wait = Math.max(0, Math.min(10_000, Math.round(waitMs)));
    const body = await this.call<CdcBody>(service, `/cdc/watermark?after=${formatLsn(after)}&waitMs=${wait}`, {}, wait + this.timeoutMs);
    return parseLsn(body.watermark?.lsn ?? undefined);
  }

  async setMonolithWriter(service: string, domain: string, owner: 'monolith' | 'service'): Promise<{ owner: string; monolithLsn: bigint }> {
    const answer = await this.call<{ owner: string; monolithLsn?: string }>(service, `/internal/ownership/${encodeURIComponent(domain)}/monolith`, { method: 'PUT', body: JSON.stringify({ owner }) }, 15_000);
    const monolithLsn = parseLsn(answer.monolithLsn);
    if (monolithLsn === undefined) throw new Error(`the monolith's write guard answered without a WAL position: ${JSON.stringify(answer).slice(0, 200)}`);
    return { owner: answer.owner, monolithLsn };
  }
}
