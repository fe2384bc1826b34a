import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';

/**
 * The proxy's audit log: PROXY_DATABASE_URL, else the database of `npm start`'s embedded server
 * (127.0.0.1:PG_PORT, user postgres, its generated password from `<STACK_STATE_DIR>/secrets.json`).
 */
export function proxyDatabaseUrl(env: NodeJS.ProcessEnv, repoRoot: string): string {
  if (env['PROXY_DATABASE_URL']) return env['PROXY_DATABASE_URL'];
  const file = join(env['STACK_STATE_DIR'] || join(repoRoot, '.stack'), 'secrets.json');
  let password = '';
  try {
    if (existsSync(file)) password = (JSON.parse(readFileSync(file, 'utf8')) as { postgresPassword?: string }).postgresPassword ?? '';
  } catch {
    // Unreadable: connect without a password, and the failure says which database could not be read.
  }
  return `postgresql://postgres:${encodeURIComponent(password)}@127.0.0.1:${env['PG_PORT'] || '5433'}/strangler_proxy`;
}

/** One flip as the proxy's audit log records it. */
export interface Flip {
  id: string;
  at: Date;
  actor: string;
  domain: string;
  fromStage: string | null;
  toStage: string | null;
  fromPercentage: number | null;
  toPercentage: number | null;
  adr: number;
  reason: string | null;
  mode: string;
}

/** Reads the flips that cite a record. Throws AuditLogUnavailable when the log cannot be read. */
export interface AuditLogReader {
  flipsCiting(adr: number): Promise<Flip[]>;
}

export class AuditLogUnavailable extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'AuditLogUnavailable';
  }
}

/** The URL without its password, fit for a message. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(an invalid URL)';
  }
}

function explain(error: unknown, url: string): string {
  const e = error as { code?: string; message?: string };
  const where = redactUrl(url);
  switch (e.code) {
    case 'ECONNREFUSED':
      return `nothing is listening at ${where} (is the stack running? npm start)`;
    case '42P01':
      return `the proxy's database at ${where} has no audit_log table yet`;
    case '3D000':
      return `the database in ${where} does not exist`;
    case '28P01':
    case '28000':
      return `the proxy's database at ${where} refused the credentials`;
    default:
      return `${e.message ?? String(error)} (${where})`;
  }
}

/** Reads `audit_log` of the strangler proxy's PostgreSQL database, one short connection per call. */
export class PgAuditLogReader implements AuditLogReader {
  constructor(
    private readonly connectionString: string,
    private readonly timeoutMs = 3000,
  ) {}

  async flipsCiting(adr: number): Promise<Flip[]> {
    const client = new pg.Client({ connectionString: this.connectionString, connectionTimeoutMillis: this.timeoutMs, query_timeout: this.timeoutMs });
    try {
      await client.connect();
      const { rows } = await client.query<{
        id: string;
        at: Date;
        actor: string;
        domain: string;
        from_stage: string | null;
        to_stage: string | null;
        from_percentage: number | null;
        to_percentage: number | null;
        adr: number;
        reason: string | null;
        mode: string;
      }>(
        `SELECT id::text AS id, at, actor, domain, from_stage, to_stage, from_percentage, to_percentage, adr, reason, mode
           FROM audit_log WHERE adr = $1 ORDER BY at, id`,
        [adr],
      );
      return rows.map((r) => ({
        id: r.id,
        at: r.at,
        actor: r.actor,
        domain: r.domain,
        fromStage: r.from_stage,
        toStage: r.to_stage,
        fromPercentage: r.from_percentage,
        toPercentage: r.to_percentage,
        adr: r.adr,
        reason: r.reason,
        mode: r.mode,
      }));
    } catch (error) {
      throw new AuditLogUnavailable(explain(error, this.connectionString));
    } finally {
      await client.end().catch(() => undefined);
    }
  }
}
