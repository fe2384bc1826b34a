import { describe, expect, it } from 'vitest';
import { Slots } from './slots.js';

describe('upstream slots', () => {
  it('grant up to the capacity at once, then make a request wait', async () => {
    const slots = new Slots(2);
    expect([slots.tryAcquire(), slots.tryAcquire(), slots.tryAcquire()]).toEqual([true, true, false]);
    expect(slots.inUse).toBe(2);
  });

  it('hand a released slot to the longest waiter, in order', async () => {
    const slots = new Slots(1);
    slots.tryAcquire();
    const granted: string[] = [];
    const first = slots.wait(10_000).then((ok) => ok && granted.push('first'));
    const second = slots.wait(10_000).then((ok) => ok && granted.push('second'));
    slots.release();
    await first;
    slots.release();
    await second;
    expect(granted).toEqual(['first', 'second']);
    expect(slots.inUse).toBe(1);
  });

  it('give up at the deadline and leave the count as it was', async () => {
    const slots = new Slots(1);
    slots.tryAcquire();
    expect(await slots.wait(20)).toBe(false);
    slots.release();
    expect(slots.inUse).toBe(0);
    expect(slots.tryAcquire()).toBe(true);
  });
});
