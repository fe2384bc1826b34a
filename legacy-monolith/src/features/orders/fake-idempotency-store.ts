import type { Snapshottable } from '../../testing/fake-transactions.js';
import type { IdempotencyClaim, IdempotencyStore, StoredResponse } from './idempotency-store-type.js';

export class FakeIdempotencyStore implements IdempotencyStore, Snapshottable {
  /** `${userId} ${key}` -> response */
  entries = new Map<string, StoredResponse>();

  async claim(userId: string, key: string, requestHash: string): Promise<IdempotencyClaim> {
    const stored = this.entries.get(`${userId} ${key}`);
    if (stored) return { claimed: false, stored: structuredClone(stored) };
    this.entries.set(`${userId} ${key}`, { requestHash, status: 0, body: {} });
    return { claimed: true };
  }

  async complete(userId: string, key: string, response: { status: number; body: unknown }): Promise<void> {
    const entry = this.entries.get(`${userId} ${key}`);
    if (!entry) throw new Error(`key ${key} was not claimed`);
    entry.status = response.status;
    // As JSONB does: the stored body is plain JSON, not the objects the service handed over.
    entry.body = JSON.parse(JSON.stringify(response.body));
  }

  snapshot(): () => void {
    const saved = new Map([...this.entries].map(([k, v]) => [k, structuredClone(v)]));
    return () => {
      this.entries = saved;
    };
  }
}
