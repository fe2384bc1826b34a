import { ConflictError, NOT_OWNER_SQLSTATE } from '@strangler/platform';
import { Prisma } from '../../generated/prisma/client.js';
import type { PrismaClient } from '../../db/prisma.js';
import { traced } from '../../db/trace-message.js';
import type { CatalogStore, CategoryRecord, NewProduct, ProductPatch, ProductRecord, ProductSearch, ProductSort } from '@strangler/catalog-contract';

const withCategory = { category: { select: { id: true, slug: true, name: true } } } as const;

const ORDER_BY: Record<ProductSort, Prisma.ProductOrderByWithRelationInput[]> = {
  name: [{ name: 'asc' }, { id: 'asc' }],
  '-name': [{ name: 'desc' }, { id: 'asc' }],
  price: [{ priceCents: 'asc' }, { id: 'asc' }],
  '-price': [{ priceCents: 'desc' }, { id: 'asc' }],
  newest: [{ createdAt: 'desc' }, { id: 'desc' }],
};

/** LIKE wildcards typed by a user are literal characters, not patterns. */
function literal(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

export class PrismaCatalogStore implements CatalogStore {
  constructor(private readonly prisma: PrismaClient) {}

  async listCategories(): Promise<CategoryRecord[]> {
    return this.prisma.category.findMany({ orderBy: { name: 'asc' }, select: { id: true, slug: true, name: true, description: true } });
  }

  async findCategoryBySlug(slug: string): Promise<CategoryRecord | undefined> {
    return (await this.prisma.category.findUnique({ where: { slug }, select: { id: true, slug: true, name: true, description: true } })) ?? undefined;
  }

  async searchActiveProducts(search: ProductSearch): Promise<{ items: ProductRecord[]; total: number }> {
    const where: Prisma.ProductWhereInput = { active: true };
    if (search.categoryId) where.categoryId = search.categoryId;
    if (search.q) {
      const contains = literal(search.q);
      where.OR = [
        { name: { contains, mode: 'insensitive' } },
        { description: { contains, mode: 'insensitive' } },
        { sku: { contains, mode: 'insensitive' } },
      ];
    }
    const [items, total] = await Promise.all([
      this.prisma.product.findMany({ where, include: withCategory, orderBy: ORDER_BY[search.sort], skip: search.offset, take: search.limit }),
      this.prisma.product.count({ where }),
    ]);
    return { items, total };
  }

  async findProduct(id: string): Promise<ProductRecord | undefined> {
    return (await this.prisma.product.findUnique({ where: { id }, include: withCategory })) ?? undefined;
  }

  async findProducts(ids: string[]): Promise<ProductRecord[]> {
    if (ids.length === 0) return [];
    return this.prisma.product.findMany({ where: { id: { in: ids } }, include: withCategory });
  }

  async createProduct(product: NewProduct): Promise<ProductRecord | 'sku_taken'> {
    try {
      return await traced(this.prisma, this.prisma.product.create({ data: product, include: withCategory }));
    } catch (err) {
      if (isUniqueViolation(err)) return 'sku_taken';
      throw notOwnedHere(err);
    }
  }

  async updateProduct(id: string, patch: ProductPatch): Promise<ProductRecord | 'sku_taken' | undefined> {
    try {
      return await traced(this.prisma, this.prisma.product.update({ where: { id }, data: patch, include: withCategory }));
    } catch (err) {
      if (isUniqueViolation(err)) return 'sku_taken';
      if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2025') return undefined;
      throw notOwnedHere(err);
    }
  }

  async deleteProduct(id: string): Promise<boolean> {
    const updated = await this.updateProduct(id, { active: false });
    return updated !== undefined && updated !== 'sku_taken';
  }
}

function isUniqueViolation(err: unknown): boolean {
  return err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002';
}

/**
 * SQLSTATE SF409 (NOT_OWNER_SQLSTATE): the catalog's tables are sealed in this database because catalog-service owns its
 * writes (ADR-0032): a write that reaches the monolith anyway (a request the proxy gave up on, a path
 * around the proxy) is refused as the service refuses a write it does not own, 409 `not_owner`, never
 * a 500. Other errors are returned as they are.
 */
function notOwnedHere(err: unknown): unknown {
  if (sqlStateOf(err) !== NOT_OWNER_SQLSTATE) return err;
  return new ConflictError("the catalog's writes are owned by catalog-service: the monolith's tables refuse them; nothing was applied (send it through the stable URL)", 'not_owner');
}

/** PostgreSQL's SQLSTATE of an error from Prisma's pg adapter (kept as `originalCode` in its cause), if any. */
function sqlStateOf(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    const found = (e as { originalCode?: unknown }).originalCode ?? (e as { meta?: { driverAdapterError?: { cause?: { originalCode?: unknown } } } }).meta?.driverAdapterError?.cause?.originalCode;
    if (typeof found === 'string') return found;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}
