-- Answer comparison (ADR-0023). Counts per minute and route, summed by every proxy instance that
-- compared answers; differing and noise paths per minute; a bounded sample of differences with
-- example values (secrets redacted before they are stored); the noise paths found per route.
CREATE TABLE compare_counts (
  minute timestamptz NOT NULL,
  domain text NOT NULL,
  route text NOT NULL,
  equal int NOT NULL DEFAULT 0,
  different int NOT NULL DEFAULT 0,
  failed int NOT NULL DEFAULT 0,
  too_large int NOT NULL DEFAULT 0,
  PRIMARY KEY (domain, route, minute)
);

CREATE TABLE compare_paths (
  minute timestamptz NOT NULL,
  domain text NOT NULL,
  route text NOT NULL,
  path text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('diff', 'noise')),
  count int NOT NULL DEFAULT 0,
  PRIMARY KEY (domain, route, kind, path, minute)
);

CREATE TABLE compare_diffs (
  id bigserial PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT now(),
  domain text NOT NULL,
  route text NOT NULL,
  trace_id text,
  paths text[] NOT NULL,
  differences jsonb NOT NULL
);
CREATE INDEX compare_diffs_domain_at ON compare_diffs (domain, route, id DESC);

CREATE TABLE compare_noise (
  domain text NOT NULL,
  route text NOT NULL,
  path text NOT NULL,
  first_seen timestamptz NOT NULL DEFAULT now(),
  last_seen timestamptz NOT NULL DEFAULT now(),
  count int NOT NULL DEFAULT 1,
  example jsonb,
  PRIMARY KEY (domain, route, path)
);

-- A guard's automatic rollback or promotion keeps what it measured and over which window.
-- NULL for every other flip. The append-only triggers of 0001 stay.
ALTER TABLE audit_log ADD COLUMN evidence jsonb;
