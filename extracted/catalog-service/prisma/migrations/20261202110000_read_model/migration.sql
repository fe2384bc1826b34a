-- The read model (ADR-0027): each product row carries its category's slug and name, so that the
-- catalog's reads are one table and the exact shape the API serves. NULL while the category is
-- missing (not projected yet) or deleted: such a product is not shown. The projection and the
-- service's writes keep these columns in step with the categories table.
ALTER TABLE "products" ADD COLUMN "category_slug" TEXT, ADD COLUMN "category_name" TEXT;

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
