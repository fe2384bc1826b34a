import { describe, expect, it } from 'vitest';
import { resolveCapturePassword, resolveConnectApi, resolveDatabaseUrl } from './cli-credentials.js';

const stack = { postgresPassword: 'pg s3cret/+', debeziumPassword: 'dbz', connectUser: 'strangler', connectPassword: 'rest' };

describe('credentials of npm run cdc', () => {
  it("takes Connect's user and password from the environment before the stack's secrets", () => {
    expect(resolveConnectApi('http://c:8083', { CONNECT_USER: 'ops', CONNECT_PASSWORD: 'pw' }, stack)).toEqual({ url: 'http://c:8083', username: 'ops', password: 'pw' });
    expect(resolveConnectApi('http://c:8083', {}, stack)).toEqual({ url: 'http://c:8083', username: 'strangler', password: 'rest' });
  });

  it('refuses to call Connect without credentials, naming the variables to set', () => {
    expect(() => resolveConnectApi('http://c:8083', {}, {})).toThrow(/CONNECT_USER and CONNECT_PASSWORD/);
  });

  it("reaches the embedded server with its generated password, escaped, unless a database URL is given", () => {
    expect(resolveDatabaseUrl(undefined, { PG_PORT: '6543' }, stack)).toBe('postgresql://postgres:pg%20s3cret%2F%2B@127.0.0.1:6543/monolith');
    expect(new URL(resolveDatabaseUrl(undefined, {}, stack)).password).toBe('pg%20s3cret%2F%2B');
    expect(resolveDatabaseUrl('postgresql://u:p@db:5432/m', {}, stack)).toBe('postgresql://u:p@db:5432/m');
    expect(() => resolveDatabaseUrl(undefined, {}, {})).toThrow(/CDC_DATABASE_URL/);
  });

  it("gives the capture role DEBEZIUM_PASSWORD, else the stack's generated one", () => {
    expect(resolveCapturePassword({ DEBEZIUM_PASSWORD: 'env' }, stack)).toBe('env');
    expect(resolveCapturePassword({}, stack)).toBe('dbz');
    expect(() => resolveCapturePassword({}, {})).toThrow(/DEBEZIUM_PASSWORD/);
  });
});
