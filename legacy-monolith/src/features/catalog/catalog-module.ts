// The catalog's interface to other modules. Other modules import this file only.

import type { ProductForOrder } from '@strangler/catalog-contract';

export type { ProductForOrder };

export interface CatalogModule {
  /** Current price and state of the given products; unknown ids are simply absent. */
  productsForOrder(ids: string[]): Promise<ProductForOrder[]>;
}
