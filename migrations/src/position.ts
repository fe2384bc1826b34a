import { STAGES, type Stage } from './manifest-schema.js';

/**
 * Where a domain (or one route) stands: its stage, and the share of users (0-100) whose requests
 * the new service serves. The one definition that the flip service, the flags, the route table,
 * the status, the map and the dashboard read.
 */
export interface Position {
  stage: Stage;
  percentage: number;
}

/**
 * The position of a stage: canary keeps the percentage given (0 without one); new and owned serve
 * every user from the new service (100); legacy and shadow serve every user from the monolith (0).
 */
export function positionOf(stage: Stage, percentage?: number): Position {
  if (stage === 'canary') return { stage, percentage: percentage ?? 0 };
  return { stage, percentage: stage === 'new' || stage === 'owned' ? 100 : 0 };
}

/**
 * The Unleash rollout of a position: the share of users who get the stage's variant. Shadow's
 * rollout is 100 although its percentage is 0: every user's safe requests are copied to the new
 * service while the monolith serves them all.
 */
export function rolloutOf(position: Position): number {
  if (position.stage === 'legacy') return 0;
  if (position.stage === 'canary') return position.percentage;
  return 100;
}

/** What a flag holds (its variant's name, its rollout, whether it is on). */
export interface HeldFlag {
  stage: string;
  rollout: number;
  enabled: boolean;
}

/** The position a flag gives: a flag switched off, or holding no stage name, is legacy. */
export function positionFromFlag(held: HeldFlag): Position {
  const stage = held.enabled && (STAGES as readonly string[]).includes(held.stage) ? (held.stage as Stage) : 'legacy';
  return positionOf(stage, held.rollout);
}

/** Methods that change nothing: copied in shadow, served by the new service from canary on. */
export const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Whether the new service serves a request of this method for a user inside the rollout: reads
 * from canary on, writes only once the domain owns them.
 */
export function newServes(stage: Stage, method: string): boolean {
  if (stage === 'owned') return true;
  return (stage === 'canary' || stage === 'new') && SAFE_METHODS.has(method);
}
