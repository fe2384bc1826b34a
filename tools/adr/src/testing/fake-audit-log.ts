import { AuditLogUnavailable, type AuditLogReader, type Flip } from '../audit-log.js';

/** An in-memory audit log; with `unavailable`, every read fails as an unreachable database does. */
export class FakeAuditLog implements AuditLogReader {
  constructor(
    private readonly flips: Flip[] = [],
    private readonly unavailable?: string,
  ) {}

  async flipsCiting(adr: number): Promise<Flip[]> {
    if (this.unavailable) throw new AuditLogUnavailable(this.unavailable);
    return this.flips.filter((f) => f.adr === adr);
  }
}

export function flip(overrides: Partial<Flip> = {}): Flip {
  return {
    id: '1',
    at: new Date('2026-11-23T10:00:00Z'),
    actor: 'ana',
    domain: 'catalog',
    fromStage: 'legacy',
    toStage: 'shadow',
    fromPercentage: 0,
    toPercentage: 0,
    adr: 9,
    reason: 'start comparing',
    mode: 'manual',
    ...overrides,
  };
}
