import { positionOf, rolloutOf, STAGES, type Stage } from '@strangler/manifests';

/** Who is asking: the JWT subject when there is one, else the proxy's session cookie. */
export interface FlagContext {
  userId?: string;
  sessionId?: string;
}

/** The stage a flag gives one user; `selected` is false when the user falls outside the rollout. */
export interface StageDecision {
  stage: Stage;
  selected: boolean;
}

/** What routing needs from the flag system. */
export interface FlagReader {
  /** The stage this user sees for `flag`; undefined when the flag is unknown or switched off. */
  evaluate(flag: string, context: FlagContext): StageDecision | undefined;
  /** True when `flag` exists and is switched on (a per-route override is active). */
  isOn(flag: string): boolean;
}

const stageNames = new Set<string>(STAGES);

export function isStage(name: string): name is Stage {
  return stageNames.has(name);
}

/** In-memory flags for unit tests and benchmarks: a fixed stage and percentage per flag. */
export class FakeFlagReader implements FlagReader {
  private readonly flags = new Map<string, { stage: Stage; percentage: number; on: boolean }>();

  set(flag: string, stage: Stage, percentage = stage === 'canary' ? 0 : 100, on = true): this {
    this.flags.set(flag, { stage, percentage, on });
    return this;
  }

  evaluate(flag: string, context: FlagContext): StageDecision | undefined {
    const f = this.flags.get(flag);
    if (!f?.on) return undefined;
    const key = context.userId ?? context.sessionId ?? '';
    let hash = 0;
    for (let i = 0; i < key.length; i++) hash = (hash * 31 + key.charCodeAt(i)) >>> 0;
    const rollout = rolloutOf(positionOf(f.stage, f.percentage));
    return (hash % 100) < rollout ? { stage: f.stage, selected: true } : { stage: f.stage, selected: false };
  }

  isOn(flag: string): boolean {
    return this.flags.get(flag)?.on ?? false;
  }
}
