import { Prisma } from '../../generated/prisma/client.js';
import type { PrismaClient } from '../../db/prisma.js';
import { clientOf, type Tx } from '../../db/transaction.js';
import type { InventoryStore, MovementNote, StockLevelRecord, WarehouseRecord } from './inventory-store-type.js';

interface LevelRow {
  product_id: string;
  warehouse_id: string;
  quantity: number;
}

function idList(productIds: string[]): Prisma.Sql {
  return Prisma.join(productIds.map((id) => Prisma.sql`${id}::uuid`));
}

function toLevel(row: LevelRow): StockLevelRecord {
  return { productId: row.product_id, warehouseId: row.warehouse_id, quantity: row.quantity };
}

export class PrismaInventoryStore implements InventoryStore {
  constructor(private readonly prisma: PrismaClient) {}

  async warehouses(): Promise<WarehouseRecord[]> {
    return this.prisma.warehouse.findMany({ orderBy: { id: 'asc' } });
  }

  async levels(productIds: string[], tx?: Tx): Promise<StockLevelRecord[]> {
    if (productIds.length === 0) return [];
    const rows = await clientOf(this.prisma, tx).stockLevel.findMany({ where: { productId: { in: productIds } }, orderBy: [{ productId: 'asc' }, { warehouseId: 'asc' }] });
    return rows.map((r) => ({ productId: r.productId, warehouseId: r.warehouseId, quantity: r.quantity }));
  }

  async lockLevels(productIds: string[], tx: Tx): Promise<StockLevelRecord[]> {
    if (productIds.length === 0) return [];
    const rows = await clientOf(this.prisma, tx).$queryRaw<LevelRow[]>`
      SELECT product_id::text AS product_id, warehouse_id, quantity FROM stock_levels
      WHERE product_id IN (${idList(productIds)})
      ORDER BY product_id, warehouse_id
      FOR UPDATE`;
    return rows.map(toLevel);
  }

  async decrement(level: StockLevelRecord, note: MovementNote, tx: Tx): Promise<boolean> {
    const db = clientOf(this.prisma, tx);
    const changed = await db.$executeRaw`
      UPDATE stock_levels SET quantity = quantity - ${level.quantity}, updated_at = now()
      WHERE product_id = ${level.productId}::uuid AND warehouse_id = ${level.warehouseId} AND quantity >= ${level.quantity}`;
    if (changed !== 1) return false;
    await this.record(level, -level.quantity, note, tx);
    return true;
  }

  async increment(level: StockLevelRecord, note: MovementNote, tx: Tx): Promise<void> {
    await clientOf(this.prisma, tx).$executeRaw`
      INSERT INTO stock_levels (product_id, warehouse_id, quantity, updated_at)
      VALUES (${level.productId}::uuid, ${level.warehouseId}, ${level.quantity}, now())
      ON CONFLICT (product_id, warehouse_id) DO UPDATE SET quantity = stock_levels.quantity + EXCLUDED.quantity, updated_at = now()`;
    await this.record(level, level.quantity, note, tx);
  }

  private async record(level: StockLevelRecord, delta: number, note: MovementNote, tx: Tx): Promise<void> {
    await clientOf(this.prisma, tx).stockMovement.create({
      data: { productId: level.productId, warehouseId: level.warehouseId, delta, reason: note.reason, reference: note.reference ?? null },
    });
  }
}
