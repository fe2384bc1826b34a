import { ConfigError } from '@strangler/platform';
import { describe, expect, it } from 'vitest';
import { loadProxyConfig } from './config.js';

const base = { UNLEASH_CLIENT_TOKEN: 'default:development.secret' };

describe('SERVICE_URLS', () => {
  it('gives each service its instances for this environment', () => {
    const config = loadProxyConfig({ ...base, SERVICE_URLS: 'catalog-service=http://10.0.0.5:4101|http://10.0.0.6:4101, orders-service=http://orders:4102' });
    expect(config.SERVICE_URLS).toEqual(
      new Map([
        ['catalog-service', ['http://10.0.0.5:4101', 'http://10.0.0.6:4101']],
        ['orders-service', ['http://orders:4102']],
      ]),
    );
  });

  it('is empty by default: the manifests’ URLs apply', () => {
    expect(loadProxyConfig(base).SERVICE_URLS).toEqual(new Map());
  });

  it.each(['catalog-service', 'catalog-service=', 'catalog-service=ftp://x', '=http://x:1', 'catalog-service=http://a:1|not a url'])('stops start-up on %j, naming SERVICE_URLS', (value) => {
    expect(() => loadProxyConfig({ ...base, SERVICE_URLS: value })).toThrow(ConfigError);
    expect(() => loadProxyConfig({ ...base, SERVICE_URLS: value })).toThrow(/SERVICE_URLS: ".*" is not service=url/);
  });
});

describe('settings checked before anything starts', () => {
  it.each([
    ['LOG_LEVEL', { LOG_LEVEL: 'loud' }, /LOG_LEVEL: /],
    ['EDGE_AUTH_ROUTES', { EDGE_AUTH_ROUTES: 'GET' }, /EDGE_AUTH_ROUTES: /],
    ['RATE_LIMITS', { RATE_LIMITS: '/api=many' }, /RATE_LIMITS: /],
    ['EDGE_AUTH_ROUTES without JWT_PUBLIC_KEY', { EDGE_AUTH_ROUTES: '/api/cart' }, /EDGE_AUTH_ROUTES: needs JWT_PUBLIC_KEY/],
  ])('a bad %s stops start-up with a configuration error naming it', (_name, env, message) => {
    expect(() => loadProxyConfig({ ...base, ...env })).toThrow(ConfigError);
    expect(() => loadProxyConfig({ ...base, ...env })).toThrow(message);
  });
});
