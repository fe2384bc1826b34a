import { ConfigResourceTypes, type Admin, type ITopicConfig } from '../kafka.js';

/** A topic with the settings it must have; created if missing, its settings re-applied if present. */
export interface TopicSpec {
  topic: string;
  numPartitions: number;
  /** Topic-level settings (cleanup.policy, retention.ms, ...). */
  config: Record<string, string>;
}

/** Names of Connect's internal topics for a worker group. */
export interface ConnectTopicNames {
  configs: string;
  offsets: string;
  status: string;
}

export function connectTopicNames(groupId: string): ConnectTopicNames {
  return { configs: `${groupId}-configs`, offsets: `${groupId}-offsets`, status: `${groupId}-status` };
}

/**
 * Connect's internal topics. All compacted: Connect rebuilds its state (connector configs, source
 * offsets, statuses) from the latest value per key. The config topic must have one partition (Connect
 * refuses to start otherwise); offsets are spread over a few partitions by connector.
 */
export function connectTopicSpecs(names: ConnectTopicNames): TopicSpec[] {
  const compacted = { 'cleanup.policy': 'compact', 'min.insync.replicas': '1' };
  return [
    { topic: names.configs, numPartitions: 1, config: compacted },
    { topic: names.offsets, numPartitions: 5, config: compacted },
    { topic: names.status, numPartitions: 1, config: compacted },
  ];
}

/**
 * One topic per captured table (`<prefix>.<schema>.<table>`), compacted so that a new service can
 * rebuild its copy from the latest row per key, with the recent past (min.compaction.lag.ms) kept
 * whole so that a consumer that is behind by less than that sees every change, and tombstones kept
 * for a day (delete.retention.ms) so that every consumer sees the delete before compaction drops it.
 * Three partitions: order is per key (Debezium keys by primary key), never global.
 */
export function tableTopicSpec(topic: string): TopicSpec {
  return {
    topic,
    numPartitions: 3,
    config: {
      'cleanup.policy': 'compact',
      'min.compaction.lag.ms': String(60 * 60_000),
      'delete.retention.ms': String(24 * 60 * 60_000),
      'min.insync.replicas': '1',
    },
  };
}

/** Heartbeats only show liveness: one partition, kept for an hour. */
export function heartbeatTopicSpec(topic: string): TopicSpec {
  return {
    topic,
    numPartitions: 1,
    config: { 'cleanup.policy': 'delete', 'retention.ms': String(60 * 60_000) },
  };
}

/**
 * Debezium's logical decoding messages (the trace context of traced writes): one partition, as
 * Debezium keys them all by their prefix; kept a day, long enough for a projection that was down.
 */
export function messageTopicSpec(topic: string): TopicSpec {
  return {
    topic,
    numPartitions: 1,
    config: { 'cleanup.policy': 'delete', 'retention.ms': String(24 * 60 * 60_000) },
  };
}

/** Creates the missing topics and re-applies the settings of the existing ones (idempotent). */
export async function ensureTopics(admin: Admin, specs: TopicSpec[]): Promise<{ created: string[]; updated: string[] }> {
  const existing = new Set(await admin.listTopics());
  const missing = specs.filter((s) => !existing.has(s.topic));
  const present = specs.filter((s) => existing.has(s.topic));
  if (missing.length > 0) {
    const topics: ITopicConfig[] = missing.map((s) => ({
      topic: s.topic,
      numPartitions: s.numPartitions,
      replicationFactor: 1,
      configEntries: Object.entries(s.config).map(([name, value]) => ({ name, value })),
    }));
    await admin.createTopics({ topics, waitForLeaders: true });
  }
  if (present.length > 0) {
    await admin.alterConfigs({
      validateOnly: false,
      resources: present.map((s) => ({
        type: ConfigResourceTypes.TOPIC,
        name: s.topic,
        configEntries: Object.entries(s.config).map(([name, value]) => ({ name, value })),
      })),
    });
  }
  return { created: missing.map((s) => s.topic), updated: present.map((s) => s.topic) };
}
