/**
 * Every process the local stack runs, with the docker-compose.yml service that runs it in
 * containers. The stack starts processes only by these names, and a test checks that each one has
 * its service in docker-compose.yml, so the two descriptions of the system cannot drift apart.
 *
 * Supervision (ADR-0024) reads the rest: a component whose process ends is restarted with backoff,
 * unless it is `fatal` (the stack cannot serve without it: it stops everything). `npm run chaos`
 * SIGKILLs every component that is neither fatal nor `chaos: false`. Its log is
 * `<state dir>/logs/<log>` (`<name>.log` unless `log` says otherwise). A new component is one line.
 */
export interface ComponentSpec {
  composeService: string;
  /** Its end stops the whole stack (PostgreSQL, the stable URL itself). Default false: restarted. */
  fatal?: boolean;
  /** False: the chaos suite does not kill it (the monolith: nothing stands in for the old system). */
  chaos?: boolean;
  /** Its log file's name under the logs folder, when not `<name>.log`. */
  log?: string;
}

export const COMPONENTS = {
  postgres: { composeService: 'postgres', fatal: true },
  'legacy-monolith': { composeService: 'legacy-monolith', chaos: false },
  kafka: { composeService: 'kafka' },
  'kafka-connect': { composeService: 'kafka-connect', log: 'connect.log' },
  unleash: { composeService: 'unleash' },
  'strangler-proxy': { composeService: 'strangler-proxy', fatal: true },
  'catalog-service': { composeService: 'catalog-service' },
  'catalog-reverse-sync': { composeService: 'catalog-reverse-sync' },
} as const satisfies Record<string, ComponentSpec>;

export type ComponentName = keyof typeof COMPONENTS;

const spec = (name: ComponentName): ComponentSpec => COMPONENTS[name];

/** True when the stack stops as a whole once this component's process ends. */
export function isFatal(name: ComponentName): boolean {
  return spec(name).fatal === true;
}

/** The components the chaos suite kills, in the order they are listed. */
export function chaosTargets(): ComponentName[] {
  return (Object.keys(COMPONENTS) as ComponentName[]).filter((name) => !isFatal(name) && spec(name).chaos !== false);
}

/** The component's log file name under the stack's logs folder. */
export function logFileName(name: ComponentName): string {
  return spec(name).log ?? `${name}.log`;
}
