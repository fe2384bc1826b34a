import { describe, expect, it } from 'vitest';
import { parseChangeEvent, PoisonMessageError, type ChangeEvent } from './change-event.js';
import { projectBatch, type ApplyOutcome, type DeadLetter, type PartitionPosition, type Projection } from './projection.js';

let nextOffset = 0;
function message(value: unknown, key: unknown = { id: 'a' }) {
  return {
    key: key === null ? null : Buffer.from(JSON.stringify(key)),
    value: value === null ? null : Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)),
    offset: String(nextOffset++),
    headers: {},
  };
}

function change(op: 'c' | 'u' | 'd' | 'r', id: string, lsn: number, fields: Record<string, unknown> = {}) {
  const row = { id, name: `row ${id}`, ...fields };
  return message(
    { op, before: op === 'd' || op === 'u' ? row : null, after: op === 'd' ? null : row, source: { lsn, ts_ms: 1_700_000_000_000 + lsn, schema: 'public', table: 'things', snapshot: 'false' } },
    { id },
  );
}

/** Rows keyed by id, each applied only when newer than what is held: the guard a real projection keeps in SQL. */
class FakeProjection implements Projection<ChangeEvent> {
  readonly rows = new Map<string, { lsn: bigint; deleted: boolean; name: unknown }>();
  readonly positions_: PartitionPosition[] = [];
  /** Ids whose change the "database" refuses (a constraint). */
  readonly refused = new Set<string>();
  failuresLeft = 0;

  decode(event: ChangeEvent): ChangeEvent {
    if (event.table !== 'public.things') throw new PoisonMessageError(`unknown table ${event.table}`);
    return event;
  }

  async apply(changes: ChangeEvent[], position: PartitionPosition): Promise<ApplyOutcome> {
    if (this.failuresLeft > 0) {
      this.failuresLeft--;
      throw new Error('connection terminated');
    }
    if (changes.some((c) => this.refused.has(String(c.key.id)))) throw new PoisonMessageError('violates a constraint');
    let applied = 0;
    for (const c of changes) {
      const id = String(c.key.id);
      const held = this.rows.get(id);
      if (held && held.lsn >= c.lsn) continue;
      this.rows.set(id, { lsn: c.lsn, deleted: c.op === 'delete', name: (c.after ?? c.before)?.name });
      applied++;
    }
    this.positions_.push(position);
    return { applied, stale: changes.length - applied };
  }

  async positions(): Promise<PartitionPosition[]> {
    return this.positions_;
  }
}

function run(projection: FakeProjection, messages: ReturnType<typeof message>[]) {
  const letters: DeadLetter[] = [];
  const outcome = projectBatch({ topic: 'monolith.public.things', partition: 0, messages }, projection, async (l) => void letters.push(...l));
  return { outcome, letters };
}

describe('reading a Debezium message', () => {
  it('gives the operation, the row images, the LSN and the commit time', () => {
    const event = parseChangeEvent('t', 2, change('u', 'a', 42, { name: 'new' }))!;
    expect(event).toMatchObject({ topic: 't', partition: 2, table: 'public.things', op: 'update', key: { id: 'a' }, lsn: 42n, after: { name: 'new' } });
    expect(event.committedAt.getTime()).toBe(1_700_000_000_042);
  });

  it('skips the tombstone that follows a delete', () => {
    expect(parseChangeEvent('t', 0, message(null))).toBeUndefined();
  });

  it.each([
    ['a value that is not JSON', message('{not json')],
    ['an unknown operation', message({ op: 'x', after: {}, source: { lsn: 1, ts_ms: 1, schema: 'public', table: 't' } })],
    ['an event without a source LSN', message({ op: 'c', after: {}, source: { ts_ms: 1, schema: 'public', table: 't' } })],
    ['a create without its row', message({ op: 'c', after: null, source: { lsn: 1, ts_ms: 1, schema: 'public', table: 't' } })],
    ['a message without a key', message({ op: 'c', after: {}, source: { lsn: 1, ts_ms: 1, schema: 'public', table: 't' } }, null)],
    ['a row image that is not an object', message({ op: 'u', before: null, after: [1], source: { lsn: 1, ts_ms: 1, schema: 'public', table: 't' } })],
    ['a source without its table', message({ op: 'c', after: {}, source: { lsn: 1, ts_ms: 1, schema: 'public' } })],
    ['a transaction id that is not a number', message({ op: 'c', after: {}, source: { lsn: 1, ts_ms: 1, txId: 'x', schema: 'public', table: 't' } })],
    ['a delete without its old row whose key is not JSON', { ...message({ op: 'd', before: null, after: null, source: { lsn: 1, ts_ms: 1, schema: 'public', table: 't' } }), key: Buffer.from('{id') }],
    ['a delete without its old row whose key is empty', message({ op: 'd', before: null, after: null, source: { lsn: 1, ts_ms: 1, schema: 'public', table: 't' } }, {})],
  ])('refuses %s as poison', (_what, m) => {
    expect(() => parseChangeEvent('t', 0, m)).toThrow(PoisonMessageError);
  });

  it('reads the key only when it is asked for: a key that is not JSON fails when read, not before', () => {
    const event = parseChangeEvent('t', 0, { ...change('c', 'a', 1), key: Buffer.from('{id') })!;
    expect(event.after).toMatchObject({ id: 'a' });
    expect(() => event.key).toThrow(PoisonMessageError);
  });

  it('gives a delete that carries only its key (REPLICA IDENTITY DEFAULT) with that key', () => {
    const event = parseChangeEvent('t', 0, message({ op: 'd', before: null, after: null, source: { lsn: 5, ts_ms: 1, schema: 'public', table: 't' } }, { id: 'gone' }))!;
    expect(event).toMatchObject({ op: 'delete', before: null, key: { id: 'gone' } });
  });
});

describe('projecting a batch', () => {
  it('applies the changes and records the last offset and the highest LSN as the position', async () => {
    const projection = new FakeProjection();
    const batch = [change('c', 'a', 10), change('c', 'b', 11), message(null, { id: 'b' })];

    const { outcome } = run(projection, batch);

    await expect(outcome).resolves.toMatchObject({ applied: 2, stale: 0, tombstones: 1, deadLettered: 0, position: { offset: batch[2]!.offset, lsn: 11n } });
    expect(projection.rows.get('b')).toMatchObject({ lsn: 11n, deleted: false });
  });

  it('changes nothing when the same batch is delivered again', async () => {
    const projection = new FakeProjection();
    const batch = [change('c', 'a', 10), change('u', 'a', 12, { name: 'renamed' }), change('d', 'b', 13)];
    await run(projection, batch).outcome;
    const before = structuredClone([...projection.rows]);

    const again = await run(projection, batch).outcome;

    expect(again).toMatchObject({ applied: 0, stale: 3 });
    expect([...projection.rows]).toEqual(before);
  });

  it('sends what can never be applied to the dead letters, before the position moves past it, and applies the rest', async () => {
    const projection = new FakeProjection();
    const poison = message('{not json', { id: 'x' });
    const batch = [change('c', 'a', 10), poison, change('c', 'b', 11)];

    const { outcome, letters } = run(projection, batch);

    await expect(outcome).resolves.toMatchObject({ applied: 2, deadLettered: 1 });
    expect(letters).toEqual([expect.objectContaining({ topic: 'monolith.public.things', partition: 0, message: poison, reason: 'the value is not JSON' })]);
  });

  it('finds the one change the database refuses by applying the batch one change at a time', async () => {
    const projection = new FakeProjection();
    projection.refused.add('b');
    const batch = [change('c', 'a', 10), change('c', 'b', 11), change('c', 'c', 12)];

    const { outcome, letters } = run(projection, batch);

    await expect(outcome).resolves.toMatchObject({ applied: 2, deadLettered: 1, position: { offset: batch[2]!.offset, lsn: 12n } });
    expect(letters.map((l) => l.message.offset)).toEqual([batch[1]!.offset]);
    expect([...projection.rows.keys()]).toEqual(['a', 'c']);
  });

  it('records the end of a batch whose last change is refused, so it is not read again', async () => {
    const projection = new FakeProjection();
    projection.refused.add('b');
    const batch = [change('c', 'a', 10), change('c', 'b', 11)];

    await run(projection, batch).outcome;

    expect(projection.positions_.at(-1)).toMatchObject({ offset: batch[1]!.offset, lsn: 10n });
  });

  it('lets a retriable failure through to the caller, having recorded nothing', async () => {
    const projection = new FakeProjection();
    projection.failuresLeft = 1;

    await expect(run(projection, [change('c', 'a', 10)]).outcome).rejects.toThrow('connection terminated');
    expect(projection.positions_).toEqual([]);
  });
});
