import { newServes, SAFE_METHODS, type Stage } from '@strangler/manifests';
import type { FlagContext, FlagReader } from '../flags/flag-reader.js';
import type { RouteEntry } from './route-table.js';

export { SAFE_METHODS };

export interface Decision {
  /** `new`: the route's extracted service serves; `legacy`: the monolith does. */
  side: 'legacy' | 'new';
  stage: Stage;
  /** Shadow: the monolith serves, the new service gets a copy. */
  mirror: boolean;
  /** The flag that decided: the route's override when it is on, else the domain's. */
  flag: string;
}

/**
 * legacy: monolith. shadow: monolith + a copy of safe requests to the new service.
 * canary (users in the rollout) and new: the new service serves safe requests, the monolith keeps
 * writes. owned: the new service serves everything.
 */
export function decide(route: RouteEntry, method: string, flags: FlagReader, context: FlagContext): Decision {
  const flag = flags.isOn(route.routeFlag) ? route.routeFlag : route.domainFlag;
  const result = flags.evaluate(flag, context);
  const stage = route.routedStage[result?.stage ?? 'legacy'];
  if (!result?.selected) return { side: 'legacy', stage, mirror: false, flag };
  if (stage === 'shadow') return { side: 'legacy', stage, mirror: SAFE_METHODS.has(method), flag };
  return { side: newServes(stage, method) ? 'new' : 'legacy', stage, mirror: false, flag };
}
