-- The outbox's size without counting it (ADR-0037): GET /cdc and the cutover back to the monolith
-- ask how many events the outbox holds on every poll, and count(*) over a table that is never
-- pruned grows with its history. A trigger keeps the count in 16 rows, chosen by the aggregate's id,
-- so that concurrent writes of different products rarely wait for one another (writes of one
-- product already wait for each other on its version), and the size is the sum of the 16 rows.
CREATE TABLE "outbox_counts" (
    "shard" SMALLINT NOT NULL,
    "events" BIGINT NOT NULL,

    CONSTRAINT "outbox_counts_pkey" PRIMARY KEY ("shard")
);

INSERT INTO "outbox_counts" ("shard", "events")
  SELECT s, (SELECT count(*) FROM "outbox_events" o WHERE mod(abs(hashtext(o."aggregate_id")::bigint), 16) = s)
  FROM generate_series(0, 15) AS s;

-- The function body is a U&'' string with \003B for each semicolon (see 20261202110000_read_model).
CREATE FUNCTION "outbox_events_count"() RETURNS trigger LANGUAGE plpgsql AS U&'
BEGIN
  UPDATE outbox_counts SET events = events + 1 WHERE shard = mod(abs(hashtext(NEW.aggregate_id)::bigint), 16)\003B
  RETURN NULL\003B
END';

CREATE TRIGGER "outbox_events_count" AFTER INSERT ON "outbox_events"
  FOR EACH ROW EXECUTE FUNCTION "outbox_events_count"();
