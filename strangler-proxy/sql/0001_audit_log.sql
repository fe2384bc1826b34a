-- The flips of the migration: who, when, which domain, from and to which stage, and why.
-- `tools/adr` reads this table (adr show): keep its columns in step with tools/adr/src/audit-log.ts.
CREATE TABLE audit_log (
  id bigserial PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT now(),
  actor text NOT NULL,
  domain text NOT NULL,
  from_stage text,
  to_stage text,
  from_percentage int,
  to_percentage int,
  adr int,
  reason text,
  mode text NOT NULL CHECK (mode IN ('manual', 'automatic'))
);

CREATE INDEX audit_log_domain_id ON audit_log (domain, id DESC);

-- Append-only, for every role including the owner: rows can be added, never changed or removed.
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only: % is not allowed', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER audit_log_no_update_or_delete BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
