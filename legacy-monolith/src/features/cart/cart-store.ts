import { clientOf, type Tx } from '../../db/transaction.js';
import type { PrismaClient } from '../../db/prisma.js';
import type { CartLine } from './cart-module.js';
import type { CartStore } from './cart-store-type.js';

export class PrismaCartStore implements CartStore {
  constructor(private readonly prisma: PrismaClient) {}

  async lines(userId: string, tx?: Tx): Promise<CartLine[]> {
    const items = await clientOf(this.prisma, tx).cartItem.findMany({ where: { cart: { userId } }, orderBy: { productId: 'asc' } });
    return items.map((i) => ({ productId: i.productId, quantity: i.quantity }));
  }

  async lockLines(userId: string, tx: Tx): Promise<CartLine[]> {
    // Row lock on the cart: a concurrent cart change (which touches the cart row) or checkout waits.
    await clientOf(this.prisma, tx).$queryRaw`SELECT id FROM carts WHERE user_id = ${userId}::uuid FOR UPDATE`;
    return this.lines(userId, tx);
  }

  async setQuantity(userId: string, productId: string, quantity: number, tx?: Tx): Promise<void> {
    const db = clientOf(this.prisma, tx);
    const cart = await db.cart.upsert({ where: { userId }, create: { userId }, update: { updatedAt: new Date() } });
    await db.cartItem.upsert({
      where: { cartId_productId: { cartId: cart.id, productId } },
      create: { cartId: cart.id, productId, quantity },
      update: { quantity },
    });
  }

  async removeLine(userId: string, productId: string, tx?: Tx): Promise<boolean> {
    const { count } = await clientOf(this.prisma, tx).cartItem.deleteMany({ where: { productId, cart: { userId } } });
    return count > 0;
  }

  async clear(userId: string, tx?: Tx): Promise<void> {
    await clientOf(this.prisma, tx).cartItem.deleteMany({ where: { cart: { userId } } });
  }
}
