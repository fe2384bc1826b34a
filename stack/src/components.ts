/**
 * Every process the local stack runs, with the docker-compose.yml service that runs it in
 * containers. The stack starts processes only by these names, and a test checks that each one has
 * its service in docker-compose.yml, so the two descriptions of the system cannot drift apart.
 */
export const COMPONENTS = {
  postgres: { composeService: 'postgres' },
  'legacy-monolith': { composeService: 'legacy-monolith' },
  kafka: { composeService: 'kafka' },
  'kafka-connect': { composeService: 'kafka-connect' },
  unleash: { composeService: 'unleash' },
  'strangler-proxy': { composeService: 'strangler-proxy' },
  'catalog-service': { composeService: 'catalog-service' },
  'catalog-reverse-sync': { composeService: 'catalog-reverse-sync' },
} as const;

export type ComponentName = keyof typeof COMPONENTS;
