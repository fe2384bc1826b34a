import { describe, expect, it } from 'vitest';
import { connectTopicNames, connectTopicSpecs, heartbeatTopicSpec, tableTopicSpec } from './topics.js';
import { cdcTopicSpecs } from './bootstrap.js';
import { cdcNames } from './connector-config.js';

describe('topic settings', () => {
  it("gives Connect's internal topics compaction, and the config topic a single partition", () => {
    const specs = connectTopicSpecs(connectTopicNames('strangler-connect'));
    expect(specs.map((s) => [s.topic, s.numPartitions, s.config['cleanup.policy']])).toEqual([
      ['strangler-connect-configs', 1, 'compact'],
      ['strangler-connect-offsets', 5, 'compact'],
      ['strangler-connect-status', 1, 'compact'],
    ]);
  });

  it('compacts table topics but keeps tombstones and the recent past long enough for consumers', () => {
    const spec = tableTopicSpec('monolith.public.products');
    expect(spec.numPartitions).toBe(3);
    expect(spec.config).toMatchObject({ 'cleanup.policy': 'compact', 'delete.retention.ms': '86400000', 'min.compaction.lag.ms': '3600000' });
  });

  it('keeps heartbeats for an hour only', () => {
    expect(heartbeatTopicSpec('__debezium-heartbeat.monolith').config).toEqual({ 'cleanup.policy': 'delete', 'retention.ms': '3600000' });
  });

  it('creates one topic per captured table, the two heartbeat topics and the message topic', () => {
    const topics = cdcTopicSpecs(cdcNames('monolith'), ['public.categories', 'public.products']).map((s) => s.topic);
    expect(topics).toEqual([
      'monolith.public.categories',
      'monolith.public.products',
      'monolith.strangler_cdc.heartbeat',
      '__debezium-heartbeat.monolith',
      'monolith.message',
    ]);
  });
});
