-- The write side of every domain that may be owned by its service, and its fence (ADR-0025).
-- Every proxy instance reads this row (FOR SHARE, held while it forwards the write) for each write
-- of such a domain: a cutover raises the fence with an UPDATE, which waits for the writes in flight
-- on every instance, and switches writes_to when it lifts the fence. So no instance routes a write by
-- a stale flag, and none is in flight while ownership moves.
CREATE TABLE write_fences (
  domain text PRIMARY KEY,
  writes_to text NOT NULL CHECK (writes_to IN ('legacy', 'new')),
  fenced_since timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Every cutover (new <-> owned): its steps' outcome and how long writes were fenced.
CREATE TABLE cutovers (
  id bigserial PRIMARY KEY,
  domain text NOT NULL,
  actor text NOT NULL,
  from_stage text NOT NULL,
  to_stage text NOT NULL,
  started_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  fence_ms int,
  outcome text CHECK (outcome IN ('done', 'refused')),
  failed_step text,
  detail text,
  audit_id bigint REFERENCES audit_log (id)
);
CREATE INDEX cutovers_domain_id ON cutovers (domain, id DESC);
