import type { Prisma } from '../../generated/prisma/client.js';
import type { PrismaClient } from '../../db/prisma.js';
import type { CatalogStore, CategoryRecord, ProductRecord, ProductSearch, ProductSort } from './catalog-store-type.js';

const categoryFields = { id: true, slug: true, name: true, description: true } as const;
const withCategory = { category: { select: { id: true, slug: true, name: true } } } as const;
/** Live rows only: tombstones and products whose category has not been projected yet are left out. */
const liveProduct: Prisma.ProductWhereInput = { deleted: false, category: { is: { deleted: false } } };

// The monolith's orders, so that a page is the same page on both sides.
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
    return this.prisma.category.findMany({ where: { deleted: false }, orderBy: { name: 'asc' }, select: categoryFields });
  }

  async findCategoryBySlug(slug: string): Promise<CategoryRecord | undefined> {
    return (await this.prisma.category.findFirst({ where: { slug, deleted: false }, select: categoryFields })) ?? undefined;
  }

  async searchActiveProducts(search: ProductSearch): Promise<{ items: ProductRecord[]; total: number }> {
    const where: Prisma.ProductWhereInput = { ...liveProduct, active: true };
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
    return (await this.prisma.product.findFirst({ where: { ...liveProduct, id }, include: withCategory })) ?? undefined;
  }
}
