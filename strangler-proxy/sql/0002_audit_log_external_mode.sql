-- A change made in Unleash outside the admin API (its UI, its Admin API) is recorded by the proxy
-- that notices it, as mode 'external' with actor 'unleash'. The append-only triggers of 0001 stay.
-- `tools/adr` reads this table (adr show): keep its columns in step with tools/adr/src/audit-log.ts.
ALTER TABLE audit_log DROP CONSTRAINT audit_log_mode_check;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_mode_check CHECK (mode IN ('manual', 'automatic', 'external'));
