-- Each step of a cutover and how long it took (ADR-0032): the status shows where a fence's time went.
ALTER TABLE cutovers ADD COLUMN steps jsonb NOT NULL DEFAULT '[]'::jsonb;
