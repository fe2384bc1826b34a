import type { AuditEntry, AuditLog, AuditRecord, DomainLedger } from './audit-log.js';
import { AuditCommitError, AuditLogUnavailableError } from './audit-log.js';

/**
 * In-memory audit log for unit tests, with the transaction semantics of PgAuditLog: one
 * transaction per domain at a time, and its rows appear only when it commits. `journal` records
 * lock, append, commit and rollback in order, so a test can check what happened when.
 */
export class FakeAuditLog implements AuditLog {
  readonly records: AuditRecord[] = [];
  /** The next append fails as a database that refuses the row. */
  failAppend = false;
  /** The next commit fails as a database that fails at COMMIT. */
  failCommit = false;
  private nextId = 1;
  private readonly locks = new Map<string, Promise<unknown>>();

  constructor(readonly journal: string[] = []) {}

  async list(options: { domain?: string; limit?: number } = {}): Promise<AuditRecord[]> {
    return this.records
      .filter((r) => !options.domain || r.domain === options.domain)
      .reverse()
      .slice(0, options.limit ?? 100);
  }

  transaction<T>(domain: string, work: (ledger: DomainLedger) => Promise<T>): Promise<T> {
    const held = this.locks.get(domain) ?? Promise.resolve();
    const run = held.then(() => this.run(domain, work));
    this.locks.set(domain, run.catch(() => {}));
    return run;
  }

  private async run<T>(domain: string, work: (ledger: DomainLedger) => Promise<T>): Promise<T> {
    this.journal.push(`lock ${domain}`);
    const pending: AuditRecord[] = [];
    const ledger: DomainLedger = {
      last: async () => pending.at(-1) ?? this.records.filter((r) => r.domain === domain).at(-1),
      append: async (entry: AuditEntry) => {
        if (this.failAppend) {
          this.failAppend = false;
          throw new AuditLogUnavailableError(`the audit log could not append a row for ${domain}: refused`);
        }
        const record = { ...entry, id: this.nextId++, at: new Date().toISOString() };
        pending.push(record);
        this.journal.push(`append ${entry.mode} ${entry.fromStage} → ${entry.toStage}`);
        return record;
      },
    };
    let result: T;
    try {
      result = await work(ledger);
    } catch (err) {
      this.journal.push('rollback');
      throw err;
    }
    if (this.failCommit) {
      this.failCommit = false;
      this.journal.push('commit failed');
      throw new AuditCommitError(domain, 'the database went away');
    }
    this.records.push(...pending);
    this.journal.push('commit');
    return result;
  }
}
