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
