import type { IUnleashOptions } from 'unleash-server';

export interface UnleashSettings {
  UNLEASH_DATABASE_URL: string;
  UNLEASH_PORT: number;
  UNLEASH_HOST: string;
  UNLEASH_ADMIN_TOKEN: string;
  UNLEASH_CLIENT_TOKEN: string;
  UNLEASH_ADMIN_PASSWORD: string;
  UNLEASH_LOG_LEVEL: 'debug' | 'info' | 'warn' | 'error' | 'fatal';
}

/** Unleash with its own database, token authentication on, no phoning home. */
export function unleashOptions(s: UnleashSettings): IUnleashOptions {
  const [clientScope = '', ] = s.UNLEASH_CLIENT_TOKEN.split('.');
  const [project = 'default', environment = 'development'] = clientScope.split(':');
  return {
    databaseUrl: s.UNLEASH_DATABASE_URL,
    db: { ssl: false, pool: { min: 0, max: 4 } } as IUnleashOptions['db'],
    server: { port: s.UNLEASH_PORT, host: s.UNLEASH_HOST, gracefulShutdownEnable: false, keepAliveTimeout: 60_000 } as IUnleashOptions['server'],
    logLevel: s.UNLEASH_LOG_LEVEL as IUnleashOptions['logLevel'],
    versionCheck: { enable: false },
    telemetry: false,
    authentication: {
      type: 'open-source',
      enableApiToken: true,
      createAdminUser: true,
      initialAdminUser: { username: 'admin', password: s.UNLEASH_ADMIN_PASSWORD },
      initApiTokens: [
        { tokenName: 'strangler-admin', type: 'admin', projects: ['*'], environment: '*', secret: s.UNLEASH_ADMIN_TOKEN },
        { tokenName: 'strangler-proxy', type: 'backend', projects: [project], environment, secret: s.UNLEASH_CLIENT_TOKEN },
      ],
    } as IUnleashOptions['authentication'],
  };
}
