import { describe, expect, it } from 'vitest';
import { sameForEveryone } from './same-for-everyone.js';
import { bootstrapToggle } from './stage-strategy.js';

describe('sameForEveryone', () => {
  it.each(['legacy', 'shadow', 'new', 'owned'] as const)('a stage flag at %s gives every user the same outcome', (stage) => {
    expect(sameForEveryone(bootstrapToggle('catalog', stage, 100))).toBe(true);
  });

  it('a canary at a partial rollout depends on the user', () => {
    expect(sameForEveryone(bootstrapToggle('catalog', 'canary', 30))).toBe(false);
  });

  it('a strategy with constraints or segments depends on the user', () => {
    const toggle = bootstrapToggle('catalog', 'new', 100);
    expect(sameForEveryone({ ...toggle, strategies: [{ ...toggle.strategies[0]!, constraints: [{ contextName: 'userId', operator: 'IN', values: ['a'] }] as never }] })).toBe(false);
    expect(sameForEveryone({ ...toggle, strategies: [{ ...toggle.strategies[0]!, segments: [1] }] })).toBe(false);
  });

  it('several variant names, flag-level variants, parent flags, impression data or an unknown strategy depend on the user (or must be evaluated)', () => {
    const toggle = bootstrapToggle('catalog', 'new', 100);
    const strategy = toggle.strategies[0]!;
    expect(sameForEveryone({ ...toggle, strategies: [{ ...strategy, variants: [...strategy.variants, { ...strategy.variants[0]!, name: 'legacy' }] }] })).toBe(false);
    expect(sameForEveryone({ ...toggle, variants: [{ name: 'x' }] })).toBe(false);
    expect(sameForEveryone({ ...toggle, dependencies: [{ feature: 'parent' }] })).toBe(false);
    expect(sameForEveryone({ ...toggle, impressionData: true })).toBe(false);
    expect(sameForEveryone({ ...toggle, strategies: [{ name: 'userWithId', parameters: { userIds: 'a' } }] })).toBe(false);
  });
});
