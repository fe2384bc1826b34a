// The projection library of the extracted services: Debezium change events in, idempotent writes to
// the service's own database out (ADR-0008).
export { parseChangeEvent, PoisonMessageError, type ChangeEvent, type ChangeOp } from './change-event.js';
export { deadLetterHeaders, projectBatch, type ApplyOutcome, type BatchOutcome, type DeadLetter, type PartitionPosition, type Projection } from './projection.js';
export { highestApplied, reachedEnds, WatermarkTracker, type PartitionEnd, type Watermark, type WatermarkTrackerOptions } from './watermark.js';
export { ProjectionConsumer, type ProjectionConsumerOptions, type ProjectionStatus } from './projection-consumer.js';
// The names the CDC bootstrap gives a pipeline's topics, so that a service subscribes to exactly those.
export { cdcNames, tableTopic, type CdcNames } from '../bootstrap/connector-config.js';
export { eventsTopic } from '../bootstrap/event-streams.js';
export { cdcRouter, MAX_WATERMARK_WAIT_MS, type CdcStatusSource } from './cdc-router.js';
