-- CreateTable
CREATE TABLE "sync_ownership" (
    "domain" TEXT NOT NULL,
    "owner" TEXT NOT NULL,
    "epoch" BIGINT NOT NULL,
    "changed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "sync_ownership_pkey" PRIMARY KEY ("domain"),
    CONSTRAINT "sync_ownership_owner_check" CHECK ("owner" IN ('monolith', 'service'))
);

-- CreateTable
CREATE TABLE "outbox_events" (
    "id" UUID NOT NULL,
    "aggregate_type" TEXT NOT NULL,
    "aggregate_id" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "version" BIGINT NOT NULL,
    "occurred_at" TIMESTAMPTZ(3) NOT NULL,
    "traceparent" TEXT,
    "payload" JSONB NOT NULL,

    CONSTRAINT "outbox_events_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "outbox_events_aggregate_type_aggregate_id_version_key" ON "outbox_events"("aggregate_type", "aggregate_id", "version");

-- The catalog starts owned by the monolith: the service's writes are refused until the cutover.
INSERT INTO "sync_ownership" ("domain", "owner", "epoch") VALUES ('catalog', 'monolith', 0);
