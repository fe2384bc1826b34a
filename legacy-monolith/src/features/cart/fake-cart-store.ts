import type { Snapshottable } from '../../testing/fake-transactions.js';
import type { CartLine } from './cart-module.js';
import type { CartStore } from './cart-store-type.js';

export class FakeCartStore implements CartStore, Snapshottable {
  /** userId -> productId -> quantity */
  carts = new Map<string, Map<string, number>>();
  locks = 0;

  async lines(userId: string): Promise<CartLine[]> {
    const cart = this.carts.get(userId) ?? new Map<string, number>();
    return [...cart].map(([productId, quantity]) => ({ productId, quantity })).sort((a, b) => a.productId.localeCompare(b.productId));
  }

  async lockLines(userId: string): Promise<CartLine[]> {
    this.locks += 1;
    return this.lines(userId);
  }

  async setQuantity(userId: string, productId: string, quantity: number): Promise<void> {
    const cart = this.carts.get(userId) ?? new Map<string, number>();
    cart.set(productId, quantity);
    this.carts.set(userId, cart);
  }

  async removeLine(userId: string, productId: string): Promise<boolean> {
    return this.carts.get(userId)?.delete(productId) ?? false;
  }

  async clear(userId: string): Promise<void> {
    this.carts.get(userId)?.clear();
  }

  snapshot(): () => void {
    const saved = new Map([...this.carts].map(([userId, cart]) => [userId, new Map(cart)]));
    return () => {
      this.carts = saved;
    };
  }
}
