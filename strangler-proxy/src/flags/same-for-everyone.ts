/** The parts of an Unleash flag definition (as `unleash-client` holds it) that decide whether its outcome depends on who asks. */
export interface DefinitionShape {
  enabled?: boolean;
  impressionData?: boolean;
  dependencies?: unknown[];
  variants?: unknown[];
  strategies?: {
    name?: string;
    parameters?: Record<string, unknown>;
    constraints?: unknown[];
    segments?: unknown[];
    variants?: { name?: string }[];
  }[];
}

/**
 * Whether a flag gives every user the same outcome, so that it need not be evaluated per request:
 * only strategies that match everyone or no one (`default`, or `flexibleRollout` at 0 or 100 %),
 * without constraints or segments, at most one strategy variant name, no flag-level variants, no
 * parent flags and no impression events. Stage flags at legacy, shadow, new and owned have this
 * shape (ADR-0035); a canary at a partial rollout does not, nor does anything unknown.
 */
export function sameForEveryone(definition: DefinitionShape): boolean {
  if (definition.impressionData || definition.dependencies?.length || definition.variants?.length) return false;
  const strategies = definition.strategies ?? [];
  for (const strategy of strategies) {
    if (strategy.constraints?.length || strategy.segments?.length) return false;
    if (strategy.name === 'flexibleRollout') {
      const rollout = strategy.parameters?.rollout;
      if (rollout !== '0' && rollout !== '100' && rollout !== 0 && rollout !== 100) return false;
    } else if (strategy.name !== 'default') return false;
    const names = new Set((strategy.variants ?? []).map((v) => v.name));
    if (names.size > 1) return false;
  }
  return true;
}
