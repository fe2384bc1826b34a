import type { Snapshottable } from '../../testing/fake-transactions.js';
import type { NewOrder, OrderRecord, OrderStatus, OrdersStore } from './orders-store-type.js';

const clone = (o: OrderRecord): OrderRecord => structuredClone(o);

export class FakeOrdersStore implements OrdersStore, Snapshottable {
  orders: OrderRecord[] = [];
  private clock = Date.parse('2026-01-01T00:00:00Z');

  async create(order: NewOrder): Promise<OrderRecord> {
    if (this.orders.some((o) => o.id === order.id)) throw new Error(`duplicate order id ${order.id}`);
    const at = this.tick();
    const record: OrderRecord = { ...structuredClone(order), status: 'pending', createdAt: at, updatedAt: at };
    this.orders.push(record);
    return clone(record);
  }

  async find(orderId: string): Promise<OrderRecord | undefined> {
    const found = this.orders.find((o) => o.id === orderId);
    return found ? clone(found) : undefined;
  }

  async transition(orderId: string, from: OrderStatus, to: OrderStatus): Promise<boolean> {
    const found = this.orders.find((o) => o.id === orderId && o.status === from);
    if (!found) return false;
    found.status = to;
    found.updatedAt = this.tick();
    return true;
  }

  async listByUser(userId: string, page: { offset: number; limit: number }): Promise<{ items: OrderRecord[]; total: number }> {
    const mine = this.orders.filter((o) => o.userId === userId).sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
    return { items: mine.slice(page.offset, page.offset + page.limit).map(clone), total: mine.length };
  }

  snapshot(): () => void {
    const saved = this.orders.map(clone);
    return () => {
      this.orders = saved;
    };
  }

  private tick(): Date {
    this.clock += 1000;
    return new Date(this.clock);
  }
}
