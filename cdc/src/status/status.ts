import Table from 'cli-table3';
import pg from 'pg';
import { getConnectorConfig, listConnectorStatuses, type ConnectApi } from '../bootstrap/connect-client.js';
import { connectionConfig } from '../bootstrap/postgres-setup.js';
import type { DatabaseSettings } from '../bootstrap/connector-config.js';
import { Kafka, logLevel } from '../kafka.js';

export interface CdcStatus {
  connectors: Array<{
    name: string;
    state: string;
    topicPrefix?: string;
    tasks: Array<{ id: number; state: string; trace?: string }>;
  }>;
  /** Replication slots this project created (`strangler_*`), with how far behind the WAL they are. */
  slots: Array<{ slot: string; database: string; active: boolean; lagBytes: number | null }>;
  topics: Array<{ topic: string; partitions: number; endOffset: number }>;
  /** Per domain fed by CDC: its service's watermark (ADR-0021), or why it could not be read. */
  watermarks: Array<{ domain: string; service: string; url: string; lsn: string | null; lagMs: number | null; error?: string }>;
  /** What could not be reached, by part ("connect", "postgres", "kafka"). */
  errors: Partial<Record<'connect' | 'postgres' | 'kafka', string>>;
}

export interface StatusOptions {
  brokers: string[];
  connect: ConnectApi;
  database: DatabaseSettings;
  /** The services to ask for their watermark (`GET <url>/cdc/watermark`), one per domain that captures tables. */
  services?: Array<{ domain: string; service: string; url: string }>;
}

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** Gathers connector and task states, slot lag and CDC topic end offsets; a part that is down is reported, not thrown. */
export async function collectCdcStatus(options: StatusOptions): Promise<CdcStatus> {
  const status: CdcStatus = { connectors: [], slots: [], topics: [], watermarks: [], errors: {} };
  status.watermarks = await Promise.all((options.services ?? []).map(watermarkOf));

  try {
    const connectors = await listConnectorStatuses(options.connect);
    for (const c of connectors.sort((a, b) => a.name.localeCompare(b.name))) {
      const config = await getConnectorConfig(options.connect, c.name).catch(() => undefined);
      status.connectors.push({
        name: c.name,
        state: c.connector.state,
        topicPrefix: config?.['topic.prefix'],
        tasks: c.tasks.map((t) => ({ id: t.id, state: t.state, trace: t.trace })),
      });
    }
  } catch (err) {
    status.errors.connect = messageOf(err);
  }

  const client = new pg.Client({ ...connectionConfig(options.database), connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
    const { rows } = await client.query<{ slot_name: string; database: string; active: boolean; lag_bytes: string | null }>(
      `SELECT slot_name, database, active,
              pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::bigint AS lag_bytes
         FROM pg_replication_slots
        WHERE slot_name LIKE 'strangler\\_%'
        ORDER BY slot_name`,
    );
    status.slots = rows.map((r) => ({ slot: r.slot_name, database: r.database, active: r.active, lagBytes: r.lag_bytes === null ? null : Number(r.lag_bytes) }));
  } catch (err) {
    status.errors.postgres = messageOf(err);
  } finally {
    await client.end().catch(() => {});
  }

  const prefixes = status.connectors.map((c) => c.topicPrefix).filter((p): p is string => Boolean(p));
  const kafka = new Kafka({ clientId: 'strangler-cdc-status', brokers: options.brokers, logLevel: logLevel.NOTHING, retry: { retries: 1 } });
  const admin = kafka.admin();
  try {
    await admin.connect();
    const topics = (await admin.listTopics())
      .filter((t) => prefixes.some((p) => t.startsWith(`${p}.`) || t === `__debezium-heartbeat.${p}`))
      .sort();
    for (const topic of topics) {
      const offsets = await admin.fetchTopicOffsets(topic);
      status.topics.push({ topic, partitions: offsets.length, endOffset: offsets.reduce((sum, o) => sum + Number(o.high), 0) });
    }
  } catch (err) {
    status.errors.kafka = messageOf(err);
  } finally {
    await admin.disconnect().catch(() => {});
  }
  return status;
}

async function watermarkOf(target: { domain: string; service: string; url: string }): Promise<CdcStatus['watermarks'][number]> {
  try {
    const res = await fetch(new URL('/cdc/watermark', target.url), { signal: AbortSignal.timeout(3_000) });
    if (!res.ok) throw new Error(`GET /cdc/watermark answered ${res.status}`);
    const { watermark } = (await res.json()) as { watermark: { lsn: string; lagMs: number } | null };
    return { ...target, lsn: watermark?.lsn ?? null, lagMs: watermark?.lagMs ?? null, ...(watermark ? {} : { error: 'no watermark yet' }) };
  } catch (err) {
    return { ...target, lsn: null, lagMs: null, error: messageOf(err) };
  }
}

/** True when every connector and task is RUNNING and every part answered. */
export function isHealthy(status: CdcStatus): boolean {
  return (
    Object.keys(status.errors).length === 0 &&
    status.connectors.length > 0 &&
    status.connectors.every((c) => c.state === 'RUNNING' && c.tasks.length > 0 && c.tasks.every((t) => t.state === 'RUNNING'))
  );
}

export function formatBytes(bytes: number | null): string {
  if (bytes === null) return 'n/a';
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
}

const plain = { head: [], border: [] };

/** The status as readable tables (no colours, so it reads the same in a log file). */
export function formatCdcStatus(status: CdcStatus): string {
  const out: string[] = [];

  const connectors = new Table({ head: ['Connector', 'State', 'Task', 'Task state'], style: plain });
  if (status.errors.connect) connectors.push([{ colSpan: 4, content: `Kafka Connect unreachable: ${status.errors.connect}` }]);
  else if (status.connectors.length === 0) connectors.push([{ colSpan: 4, content: 'no connector registered' }]);
  for (const c of status.connectors) {
    if (c.tasks.length === 0) connectors.push([c.name, c.state, '-', 'no task']);
    for (const t of c.tasks) connectors.push([c.name, c.state, String(t.id), t.state]);
  }
  out.push(connectors.toString());
  for (const c of status.connectors) {
    for (const t of c.tasks) if (t.trace) out.push(`task ${c.name}/${t.id} error:\n${t.trace.split('\n').slice(0, 8).join('\n')}`);
  }

  const slots = new Table({ head: ['Replication slot', 'Database', 'Active', 'Lag'], style: plain });
  if (status.errors.postgres) slots.push([{ colSpan: 4, content: `PostgreSQL unreachable: ${status.errors.postgres}` }]);
  else if (status.slots.length === 0) slots.push([{ colSpan: 4, content: 'no replication slot of this project' }]);
  for (const s of status.slots) slots.push([s.slot, s.database, s.active ? 'yes' : 'no', formatBytes(s.lagBytes)]);
  out.push(slots.toString());

  const topics = new Table({ head: ['CDC topic', 'Partitions', 'End offset'], style: plain });
  if (status.errors.kafka) topics.push([{ colSpan: 3, content: `Kafka unreachable: ${status.errors.kafka}` }]);
  else if (status.topics.length === 0) topics.push([{ colSpan: 3, content: 'no CDC topic' }]);
  for (const t of status.topics) topics.push([t.topic, String(t.partitions), String(t.endOffset)]);
  out.push(topics.toString());

  if (status.watermarks.length > 0) {
    const watermarks = new Table({ head: ['Domain', 'Service', 'Watermark', 'Lag'], style: plain });
    for (const w of status.watermarks) watermarks.push([w.domain, `${w.service} (${w.url})`, w.lsn ?? `unknown: ${w.error}`, w.lagMs === null ? 'n/a' : `${w.lagMs} ms`]);
    out.push(watermarks.toString());
  }

  return out.join('\n');
}
