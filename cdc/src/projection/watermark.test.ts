import { createLogger } from '@strangler/platform';
import { describe, expect, it } from 'vitest';
import type { PartitionPosition } from './projection.js';
import { WatermarkTracker, type PartitionEnd } from './watermark.js';

const at = (ms: number) => new Date(1_700_000_000_000 + ms);
const pos = (topic: string, partition: number, offset: number, lsn: number | null): PartitionPosition => ({ topic, partition, offset: String(offset), lsn: lsn === null ? null : BigInt(lsn), committedAt: lsn === null ? null : at(lsn) });
const end = (topic: string, partition: number, next: number): PartitionEnd => ({ topic, partition, end: BigInt(next) });

/** A service's stored positions and Kafka's log-end offsets, changed by the test between ticks. */
function world() {
  const state = { positions: [] as PartitionPosition[], ends: [] as PartitionEnd[], fail: undefined as string | undefined };
  const tracker = new WatermarkTracker({
    positions: async () => {
      if (state.fail) throw new Error(state.fail);
      return state.positions.map((p) => ({ ...p }));
    },
    ends: async () => state.ends.map((e) => ({ ...e })),
    intervalMs: 10,
    logger: createLogger('watermark-test', 'silent'),
  });
  return { state, tracker };
}

describe('the service watermark', () => {
  it('is the highest LSN applied once every partition has applied everything written before it', async () => {
    const { state, tracker } = world();
    state.positions = [pos('t.products', 0, 4, 500), pos('t.products', 1, 9, 300), pos('t.heartbeat', 0, 2, 450)];
    state.ends = [end('t.products', 0, 5), end('t.products', 1, 10), end('t.heartbeat', 0, 3), end('t.products', 2, 0)];

    await tracker.tick();

    expect(tracker.current()).toMatchObject({ lsn: 500n, committedAt: at(500) });
  });

  it('does not pass a change still waiting in another partition', async () => {
    const { state, tracker } = world();
    state.positions = [pos('t.products', 0, 4, 500), pos('t.products', 1, 9, 300)];
    state.ends = [end('t.products', 0, 5), end('t.products', 1, 12)]; // two messages of partition 1 not applied yet

    await tracker.tick();
    expect(tracker.current()).toBeUndefined();

    state.positions[1] = pos('t.products', 1, 11, 520);
    state.ends = [end('t.products', 0, 5), end('t.products', 1, 14)]; // more arrived meanwhile
    await tracker.tick();
    // 500 is proven (partition 1 reached offset 11); 520 waits for the ends read now.
    expect(tracker.current()?.lsn).toBe(500n);

    state.positions[1] = pos('t.products', 1, 13, 530);
    await tracker.tick();
    expect(tracker.current()?.lsn).toBe(530n);
  });

  it('keeps moving with heartbeats while the captured tables are idle', async () => {
    const { state, tracker } = world();
    state.positions = [pos('t.products', 0, 4, 500), pos('t.heartbeat', 0, 0, 510)];
    state.ends = [end('t.products', 0, 5), end('t.heartbeat', 0, 1)];
    await tracker.tick();
    const first = tracker.current()!;

    state.positions[1] = pos('t.heartbeat', 0, 1, 900);
    state.ends[1] = end('t.heartbeat', 0, 2);
    await tracker.tick();

    expect(first.lsn).toBe(510n);
    expect(tracker.current()).toMatchObject({ lsn: 900n, committedAt: at(900) });
  });

  it('stays where it is, and says why, while the positions cannot be read', async () => {
    const { state, tracker } = world();
    state.positions = [pos('t.products', 0, 0, 500)];
    state.ends = [end('t.products', 0, 1)];
    await tracker.tick();
    state.fail = 'connection refused';

    await tracker.tick();

    expect(tracker.current()?.lsn).toBe(500n);
    expect(tracker.problem()).toBe('connection refused');
  });

  it('wakes a reader waiting for a position once the watermark reaches it, and lets another one time out', async () => {
    const { state, tracker } = world();
    state.positions = [pos('t.products', 0, 0, 500)];
    state.ends = [end('t.products', 0, 1)];
    const reached = tracker.waitFor(600n, 5_000);
    const never = tracker.waitFor(10_000n, 50);

    await tracker.tick();
    state.positions = [pos('t.products', 0, 1, 650)];
    state.ends = [end('t.products', 0, 2)];
    await tracker.tick();

    await expect(reached).resolves.toMatchObject({ lsn: 650n });
    await expect(never).resolves.toBeUndefined();
  });

  it('reports the lag as the time since the commit at the watermark', async () => {
    const { state, tracker } = world();
    expect(tracker.lagMs()).toBeUndefined();
    state.positions = [pos('t.products', 0, 0, 500)];
    state.ends = [end('t.products', 0, 1)];
    await tracker.tick();
    expect(tracker.lagMs(at(2_500))).toBe(2_000);
  });
});
