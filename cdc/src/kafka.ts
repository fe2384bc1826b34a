// kafkajs is CommonJS; Node's ESM loader cannot see all of its named exports, so take them from
// the default export once, here.
import kafkajs from 'kafkajs';

export const { Kafka, logLevel, ConfigResourceTypes, Partitioners } = kafkajs;
export type { Admin, Consumer, EachMessagePayload, ITopicConfig, KafkaMessage, Producer } from 'kafkajs';
