-- The read model (ADR-0027): each product row carries its category's slug and name, so that the
-- catalog's reads are one table and the exact shape the API serves. NULL while the category is
-- missing (not projected yet) or deleted: such a product is not shown. Two triggers keep these
-- columns in step with the categories table whoever writes (the projection, the service's writes,
-- a restore), under a lock per category: a product written while its category changes either waits
-- for that change to commit and joins the new values, or the category's rewrite waits for the
-- product to commit and then rewrites it too.
ALTER TABLE "products" ADD COLUMN "category_slug" TEXT, ADD COLUMN "category_name" TEXT;

-- The function bodies are U&'' strings with \003B for each semicolon: Prisma's migration runner
-- (the pg driver adapter) splits a script at every semicolon, even inside a $$ body.
CREATE FUNCTION "products_join_category"() RETURNS trigger LANGUAGE plpgsql AS U&'
BEGIN
  PERFORM pg_advisory_xact_lock_shared(hashtextextended(''catalog.category:'' || NEW.category_id::text, 0))\003B
  SELECT c.slug, c.name INTO NEW.category_slug, NEW.category_name FROM categories c WHERE c.id = NEW.category_id AND NOT c.deleted\003B
  RETURN NEW\003B
END';

CREATE TRIGGER "products_join_category" BEFORE INSERT OR UPDATE ON "products"
  FOR EACH ROW EXECUTE FUNCTION "products_join_category"();

-- Touches only the products whose joined columns differ: their own trigger then joins the category again.
CREATE FUNCTION "categories_join_into_products"() RETURNS trigger LANGUAGE plpgsql AS U&'
BEGIN
  PERFORM pg_advisory_xact_lock(hashtextextended(''catalog.category:'' || NEW.id::text, 0))\003B
  UPDATE products p SET category_slug = NULL
   WHERE p.category_id = NEW.id
     AND (p.category_slug IS DISTINCT FROM CASE WHEN NEW.deleted THEN NULL ELSE NEW.slug END
       OR p.category_name IS DISTINCT FROM CASE WHEN NEW.deleted THEN NULL ELSE NEW.name END)\003B
  RETURN NULL\003B
END';

CREATE TRIGGER "categories_join_into_products" AFTER INSERT OR UPDATE ON "categories"
  FOR EACH ROW EXECUTE FUNCTION "categories_join_into_products"();

UPDATE "products" p SET "category_slug" = c."slug", "category_name" = c."name"
  FROM "categories" c WHERE c."id" = p."category_id" AND NOT c."deleted";

-- The list's indexes: only the rows a public list can show (active, not a tombstone, with a live
-- category), one per sort order with its tie-breaker, and the category filter with the default sort.
CREATE INDEX "products_listed_name_idx" ON "products" ("name" ASC, "id" ASC) WHERE "active" AND NOT "deleted" AND "category_slug" IS NOT NULL;
CREATE INDEX "products_listed_name_desc_idx" ON "products" ("name" DESC, "id" ASC) WHERE "active" AND NOT "deleted" AND "category_slug" IS NOT NULL;
CREATE INDEX "products_listed_price_idx" ON "products" ("price_cents" ASC, "id" ASC) WHERE "active" AND NOT "deleted" AND "category_slug" IS NOT NULL;
CREATE INDEX "products_listed_price_desc_idx" ON "products" ("price_cents" DESC, "id" ASC) WHERE "active" AND NOT "deleted" AND "category_slug" IS NOT NULL;
CREATE INDEX "products_listed_newest_idx" ON "products" ("created_at" DESC, "id" DESC) WHERE "active" AND NOT "deleted" AND "category_slug" IS NOT NULL;
CREATE INDEX "products_listed_category_name_idx" ON "products" ("category_id", "name" ASC, "id" ASC) WHERE "active" AND NOT "deleted" AND "category_slug" IS NOT NULL;

-- The indexes the read model replaces (the projection writes every product change through each index).
DROP INDEX "products_price_cents_idx";
DROP INDEX "products_created_at_idx";
DROP INDEX "products_name_idx";
