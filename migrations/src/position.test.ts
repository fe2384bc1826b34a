import { describe, expect, it } from 'vitest';
import { newServes, positionFromFlag, positionOf, rolloutOf } from './position.js';

describe("a domain's position", () => {
  it.each([
    ['legacy', 40, 0, 0],
    ['shadow', 40, 0, 100],
    ['canary', 40, 40, 40],
    ['new', 40, 100, 100],
    ['owned', 0, 100, 100],
  ] as const)('at %s (given %i %%) serves %i %% of users from the new service with a rollout of %i', (stage, given, percentage, rollout) => {
    const position = positionOf(stage, given);
    expect(position).toEqual({ stage, percentage });
    expect(rolloutOf(position)).toBe(rollout);
  });

  it('read back from the flag it was written to is the same position', () => {
    for (const position of [positionOf('legacy'), positionOf('shadow'), positionOf('canary', 25), positionOf('new'), positionOf('owned')]) {
      expect(positionFromFlag({ stage: position.stage, rollout: rolloutOf(position), enabled: true })).toEqual(position);
    }
  });

  it('is legacy when the flag is switched off or holds no stage name', () => {
    expect(positionFromFlag({ stage: 'new', rollout: 100, enabled: false })).toEqual({ stage: 'legacy', percentage: 0 });
    expect(positionFromFlag({ stage: 'beta', rollout: 100, enabled: true })).toEqual({ stage: 'legacy', percentage: 0 });
  });

  it('moves reads to the new service from canary on, and writes only at owned', () => {
    expect(['legacy', 'shadow', 'canary', 'new', 'owned'].map((s) => newServes(s as never, 'GET'))).toEqual([false, false, true, true, true]);
    expect(['legacy', 'shadow', 'canary', 'new', 'owned'].map((s) => newServes(s as never, 'POST'))).toEqual([false, false, false, false, true]);
  });
});
