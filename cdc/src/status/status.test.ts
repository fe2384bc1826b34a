import { describe, expect, it } from 'vitest';
import { formatBytes, formatCdcStatus, isHealthy, type CdcStatus } from './status.js';

const running: CdcStatus = {
  connectors: [{ name: 'monolith-postgres', state: 'RUNNING', topicPrefix: 'monolith', tasks: [{ id: 0, state: 'RUNNING' }] }],
  slots: [{ slot: 'strangler_monolith', database: 'monolith', active: true, lagBytes: 2048 }],
  topics: [{ topic: 'monolith.public.products', partitions: 3, endOffset: 42 }],
  watermarks: [{ domain: 'catalog', service: 'catalog-service', url: 'http://127.0.0.1:4101', lsn: '0/1A2B3C', lagMs: 140 }],
  errors: {},
};

describe('CDC status', () => {
  it('prints connector and task states, slot lag and topic end offsets as tables', () => {
    const text = formatCdcStatus(running);
    expect(text).toMatch(/monolith-postgres\s*│\s*RUNNING\s*│\s*0\s*│\s*RUNNING/);
    expect(text).toMatch(/strangler_monolith\s*│\s*monolith\s*│\s*yes\s*│\s*2\.0 KiB/);
    expect(text).toMatch(/monolith\.public\.products\s*│\s*3\s*│\s*42/);
    expect(text).toMatch(/catalog\s*│\s*catalog-service \(http:\/\/127\.0\.0\.1:4101\)\s*│\s*0\/1A2B3C\s*│\s*140 ms/);
  });

  it('says why a service’s watermark is unknown', () => {
    const text = formatCdcStatus({ ...running, watermarks: [{ domain: 'catalog', service: 'catalog-service', url: 'http://127.0.0.1:4101', lsn: null, lagMs: null, error: 'fetch failed' }] });
    expect(text).toMatch(/unknown: fetch failed\s*│\s*n\/a/);
  });

  it('is healthy only when every connector and task runs and every part answered', () => {
    expect(isHealthy(running)).toBe(true);
    expect(isHealthy({ ...running, connectors: [{ ...running.connectors[0]!, tasks: [{ id: 0, state: 'FAILED', trace: 'boom' }] }] })).toBe(false);
    expect(isHealthy({ ...running, errors: { kafka: 'down' } })).toBe(false);
    expect(isHealthy({ ...running, connectors: [] })).toBe(false);
  });

  it('shows a failed task with the start of its error trace', () => {
    const failed = { ...running, connectors: [{ ...running.connectors[0]!, tasks: [{ id: 0, state: 'FAILED', trace: 'org.postgresql.util.PSQLException: gone' }] }] };
    expect(formatCdcStatus(failed)).toContain('task monolith-postgres/0 error:\norg.postgresql.util.PSQLException: gone');
  });

  it('names the part that could not be reached', () => {
    expect(formatCdcStatus({ ...running, connectors: [], errors: { connect: 'ECONNREFUSED' } })).toContain('Kafka Connect unreachable: ECONNREFUSED');
  });

  it('formats lag in readable units', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(3 * 1024 * 1024)).toBe('3.0 MiB');
    expect(formatBytes(null)).toBe('n/a');
  });
});
