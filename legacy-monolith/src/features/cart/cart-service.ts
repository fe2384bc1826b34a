import { AppError, UnprocessableError } from '@strangler/platform';
import type { Tx } from '../../db/transaction.js';
import type { CatalogModule, ProductForOrder } from '../catalog/catalog-module.js';
import type { CartLine, CartModule } from './cart-module.js';
import type { CartStore } from './cart-store-type.js';

/** Distinct products one cart may hold. */
export const MAX_CART_LINES = 50;
export const MAX_LINE_QUANTITY = 100;

export interface CartItemView {
  productId: string;
  quantity: number;
  /** Null when the product no longer exists in the catalog. */
  sku: string | null;
  name: string | null;
  unitPriceCents: number | null;
  currency: string | null;
  lineTotalCents: number | null;
  /** False when the product was deleted or deactivated: it does not count in the total and blocks checkout. */
  available: boolean;
}

export interface CartView {
  items: CartItemView[];
  /** Units of available products. */
  itemCount: number;
  /** Sum of the available lines at the catalog's current prices. */
  totalCents: number;
  /** Null for an empty cart. */
  currency: string | null;
}

/** A cart per user: lines of product and quantity; names and prices always come fresh from the catalog. */
export class CartService implements CartModule {
  constructor(private readonly deps: { store: CartStore; catalog: CatalogModule }) {}

  async view(userId: string): Promise<CartView> {
    const lines = await this.deps.store.lines(userId);
    return this.describe(lines, await this.products(lines.map((l) => l.productId)));
  }

  /** Puts `quantity` units of the product in the cart (replacing any earlier quantity). */
  async setItem(userId: string, productId: string, quantity: number): Promise<CartView> {
    if (!Number.isInteger(quantity) || quantity < 1 || quantity > MAX_LINE_QUANTITY) {
      throw new UnprocessableError(`quantity must be an integer from 1 to ${MAX_LINE_QUANTITY}`, 'invalid_quantity');
    }
    const lines = await this.deps.store.lines(userId);
    const products = await this.products([productId, ...lines.map((l) => l.productId)]);
    const product = products.get(productId);
    if (!product) throw new AppError(404, 'product_not_found', `Product ${productId} does not exist`);
    if (!product.active) throw new UnprocessableError(`Product ${productId} is not for sale`, 'product_inactive', { productId });
    const others = lines.filter((l) => l.productId !== productId);
    if (others.length >= MAX_CART_LINES) throw new UnprocessableError(`A cart holds at most ${MAX_CART_LINES} different products`, 'cart_full');
    const otherCurrency = others.map((l) => products.get(l.productId)?.currency).find((c) => c !== undefined);
    if (otherCurrency && otherCurrency !== product.currency) {
      throw new UnprocessableError(`The cart is in ${otherCurrency}; product ${productId} is priced in ${product.currency}`, 'currency_mismatch');
    }
    await this.deps.store.setQuantity(userId, productId, quantity);
    return this.view(userId);
  }

  async removeItem(userId: string, productId: string): Promise<CartView> {
    if (!(await this.deps.store.removeLine(userId, productId))) throw new AppError(404, 'cart_item_not_found', `Product ${productId} is not in the cart`);
    return this.view(userId);
  }

  async empty(userId: string): Promise<void> {
    await this.deps.store.clear(userId);
  }

  // ---- CartModule (used by checkout) ----

  lockLines(userId: string, tx: Tx): Promise<CartLine[]> {
    return this.deps.store.lockLines(userId, tx);
  }

  clear(userId: string, tx: Tx): Promise<void> {
    return this.deps.store.clear(userId, tx);
  }

  private async products(ids: string[]): Promise<Map<string, ProductForOrder>> {
    if (ids.length === 0) return new Map();
    const found = await this.deps.catalog.productsForOrder([...new Set(ids)]);
    return new Map(found.map((p) => [p.id, p]));
  }

  private describe(lines: CartLine[], products: Map<string, ProductForOrder>): CartView {
    const items = lines.map((line): CartItemView => {
      const p = products.get(line.productId);
      if (!p) return { productId: line.productId, quantity: line.quantity, sku: null, name: null, unitPriceCents: null, currency: null, lineTotalCents: null, available: false };
      return {
        productId: p.id,
        quantity: line.quantity,
        sku: p.sku,
        name: p.name,
        unitPriceCents: p.priceCents,
        currency: p.currency,
        lineTotalCents: p.priceCents * line.quantity,
        available: p.active,
      };
    });
    const available = items.filter((i) => i.available);
    return {
      items,
      itemCount: available.reduce((n, i) => n + i.quantity, 0),
      totalCents: available.reduce((sum, i) => sum + (i.lineTotalCents ?? 0), 0),
      currency: items.find((i) => i.currency !== null)?.currency ?? null,
    };
  }
}
