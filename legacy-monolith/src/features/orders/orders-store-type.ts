import type { Tx } from '../../db/transaction.js';
import type { Allocation } from '../inventory/inventory-module.js';

export type OrderStatus = 'pending' | 'paid' | 'cancelled';

export interface OrderItemRecord {
  productId: string;
  sku: string;
  name: string;
  unitPriceCents: number;
  quantity: number;
  /** Where the units were reserved, so that cancel releases exactly those. */
  allocations: Allocation[];
}

export interface OrderRecord {
  id: string;
  userId: string;
  status: OrderStatus;
  totalCents: number;
  currency: string;
  createdAt: Date;
  updatedAt: Date;
  /** In product id order. */
  items: OrderItemRecord[];
}

export interface NewOrder {
  id: string;
  userId: string;
  totalCents: number;
  currency: string;
  items: OrderItemRecord[];
}

export interface OrdersStore {
  /** Creates the order, status `pending`, with its items. */
  create(order: NewOrder, tx: Tx): Promise<OrderRecord>;
  find(orderId: string, tx?: Tx): Promise<OrderRecord | undefined>;
  /**
   * Moves the order from `from` to `to` in one guarded update; false when its status was not
   * `from` (a concurrent change waits for the row and then sees the new status).
   */
  transition(orderId: string, from: OrderStatus, to: OrderStatus, tx: Tx): Promise<boolean>;
  /** The user's orders, newest first, and how many there are. */
  listByUser(userId: string, page: { offset: number; limit: number }): Promise<{ items: OrderRecord[]; total: number }>;
}
