import { positionOf, rolloutOf, type Stage } from '@strangler/manifests';

/**
 * How a stage lives in Unleash: one flexibleRollout strategy, sticky on the user (`default`
 * stickiness: userId, then sessionId), whose rollout is the share of users that see the stage,
 * and whose single strategy variant is named after the stage. A user outside the rollout gets
 * no variant and is served by the monolith.
 */
export function rolloutFor(stage: Stage, percentage: number): number {
  return rolloutOf(positionOf(stage, percentage));
}

export interface StrategyPayload {
  name: 'flexibleRollout';
  parameters: { rollout: string; stickiness: 'default'; groupId: string };
  constraints: [];
  variants: { name: string; weight: number; weightType: 'variable'; stickiness: 'default' }[];
}

export function stageStrategy(flag: string, stage: Stage, percentage: number): StrategyPayload {
  return {
    name: 'flexibleRollout',
    parameters: { rollout: String(rolloutFor(stage, percentage)), stickiness: 'default', groupId: flag },
    constraints: [],
    variants: [{ name: stage, weight: 1000, weightType: 'variable', stickiness: 'default' }],
  };
}

/** The same flag in the shape `unleash-client` accepts as bootstrap data. */
export function bootstrapToggle(flag: string, stage: Stage, percentage: number, enabled = true) {
  return {
    name: flag,
    enabled,
    type: 'release',
    project: 'default',
    stale: false,
    impressionData: false,
    variants: [],
    strategies: [stageStrategy(flag, stage, percentage)],
  };
}
