// The cart's interface to other modules (checkout). Other modules import this file only.
import type { Tx } from '../../db/transaction.js';

export interface CartLine {
  productId: string;
  quantity: number;
}

export interface CartModule {
  /** The user's cart lines, locked until `tx` ends so that the cart cannot change under a checkout. */
  lockLines(userId: string, tx: Tx): Promise<CartLine[]>;
  /** Empties the user's cart inside `tx`. */
  clear(userId: string, tx: Tx): Promise<void>;
}
