-- A flip forced past a safety check (ADR-0021: the service's watermark lag over the manifest's
-- maxLagMs, or unknown) says so: what it overrode, e.g. "lag 5300 ms over maxLagMs 2000".
-- NULL for every flip that passed its checks. The append-only triggers of 0001 stay.
ALTER TABLE audit_log ADD COLUMN override text;
