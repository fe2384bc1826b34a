import type { Tx } from '../../db/transaction.js';
import type { CartLine } from './cart-module.js';

export interface CartStore {
  /** The user's cart lines in product id order; none when the user has no cart yet. */
  lines(userId: string, tx?: Tx): Promise<CartLine[]>;
  /** Like `lines`, but locks the cart row until `tx` ends (SELECT ... FOR UPDATE). */
  lockLines(userId: string, tx: Tx): Promise<CartLine[]>;
  /** Creates the cart if needed and sets the line's quantity (insert or replace). */
  setQuantity(userId: string, productId: string, quantity: number, tx?: Tx): Promise<void>;
  /** False when the product was not in the cart. */
  removeLine(userId: string, productId: string, tx?: Tx): Promise<boolean>;
  clear(userId: string, tx?: Tx): Promise<void>;
}
