import { clientOf, type Tx } from '../../db/transaction.js';
import type { PrismaClient } from '../../db/prisma.js';
import type { OrderItem, Order, Prisma } from '../../generated/prisma/client.js';
import type { Allocation } from '../inventory/inventory-module.js';
import type { NewOrder, OrderRecord, OrderStatus, OrdersStore } from './orders-store-type.js';

const withItems = { items: { orderBy: { productId: 'asc' } } } as const;

export class PrismaOrdersStore implements OrdersStore {
  constructor(private readonly prisma: PrismaClient) {}

  async create(order: NewOrder, tx: Tx): Promise<OrderRecord> {
    const row = await clientOf(this.prisma, tx).order.create({
      data: {
        id: order.id,
        userId: order.userId,
        status: 'pending',
        totalCents: order.totalCents,
        currency: order.currency,
        items: {
          create: order.items.map((i) => ({
            productId: i.productId,
            sku: i.sku,
            name: i.name,
            unitPriceCents: i.unitPriceCents,
            quantity: i.quantity,
            allocations: i.allocations.map((a) => ({ productId: a.productId, warehouseId: a.warehouseId, quantity: a.quantity })) as Prisma.InputJsonValue,
          })),
        },
      },
      include: withItems,
    });
    return toRecord(row);
  }

  async find(orderId: string, tx?: Tx): Promise<OrderRecord | undefined> {
    const row = await clientOf(this.prisma, tx).order.findUnique({ where: { id: orderId }, include: withItems });
    return row ? toRecord(row) : undefined;
  }

  async transition(orderId: string, from: OrderStatus, to: OrderStatus, tx: Tx): Promise<boolean> {
    const { count } = await clientOf(this.prisma, tx).order.updateMany({ where: { id: orderId, status: from }, data: { status: to } });
    return count === 1;
  }

  async listByUser(userId: string, page: { offset: number; limit: number }): Promise<{ items: OrderRecord[]; total: number }> {
    const [rows, total] = await Promise.all([
      this.prisma.order.findMany({ where: { userId }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], skip: page.offset, take: page.limit, include: withItems }),
      this.prisma.order.count({ where: { userId } }),
    ]);
    return { items: rows.map(toRecord), total };
  }
}

function toRecord(row: Order & { items: OrderItem[] }): OrderRecord {
  return {
    id: row.id,
    userId: row.userId,
    status: row.status,
    totalCents: row.totalCents,
    currency: row.currency,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    items: row.items.map((i) => ({
      productId: i.productId,
      sku: i.sku,
      name: i.name,
      unitPriceCents: i.unitPriceCents,
      quantity: i.quantity,
      allocations: i.allocations as unknown as Allocation[],
    })),
  };
}
