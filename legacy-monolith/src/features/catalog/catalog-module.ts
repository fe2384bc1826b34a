// The catalog's interface to other modules. Other modules import this file only.

export interface ProductForOrder {
  id: string;
  sku: string;
  name: string;
  priceCents: number;
  currency: string;
  active: boolean;
}

export interface CatalogModule {
  /** Current price and state of the given products; unknown ids are simply absent. */
  productsForOrder(ids: string[]): Promise<ProductForOrder[]>;
}
