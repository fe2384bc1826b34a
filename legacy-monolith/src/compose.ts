import { createHmac } from 'node:crypto';
import { catalogRouter, CatalogService } from '@strangler/catalog-contract';
import { Api, createMetricsRegistry, type Logger } from '@strangler/platform';
import type { Router } from 'express';
import { buildApp } from './app.js';
import { commitPositionRouter } from './http/commit-position.js';
import type { Config } from './config.js';
import { createPrismaClient } from './db/prisma.js';
import { prismaTransactions } from './db/transaction.js';
import { AccessTokens } from './http/access-tokens.js';
import type { CatalogModule } from './features/catalog/catalog-module.js';
import { PrismaCatalogStore } from './features/catalog/catalog-store.js';
import type { InventoryModule } from './features/inventory/inventory-module.js';
import { inventoryRouter } from './features/inventory/inventory-router.js';
import { InventoryService } from './features/inventory/inventory-service.js';
import { PrismaInventoryStore } from './features/inventory/inventory-store.js';
import { cartRouter } from './features/cart/cart-router.js';
import { CartService } from './features/cart/cart-service.js';
import { PrismaCartStore } from './features/cart/cart-store.js';
import { notificationsRouter } from './features/notifications/notifications-router.js';
import { NotificationsService } from './features/notifications/notifications-service.js';
import { PrismaNotificationsStore } from './features/notifications/notifications-store.js';
import { PrismaIdempotencyStore } from './features/orders/idempotency-store.js';
import { ordersRouter } from './features/orders/orders-router.js';
import { OrdersService } from './features/orders/orders-service.js';
import { PrismaOrdersStore } from './features/orders/orders-store.js';
import { PaymentsService } from './features/payments/payments-service.js';
import { PrismaPaymentsStore } from './features/payments/payments-store.js';
import { SimulatedPaymentProvider } from './features/payments/simulated-payment-provider.js';
import { argon2idHasher } from './features/users/password-hasher.js';
import { usersRouter } from './features/users/users-router.js';
import { UsersService } from './features/users/users-service.js';
import { PrismaUsersStore } from './features/users/users-store.js';

/**
 * Wires the monolith by hand: one Prisma client, one transaction runner, the stores, the services
 * and their routers. Used by server.ts and by the integration tests, so both run the same graph.
 */
export function composeMonolith(config: Config, logger: Logger) {
  const prisma = createPrismaClient(config.DATABASE_URL, { maxConnections: config.DATABASE_POOL_SIZE });
  const transactions = prismaTransactions(prisma);
  const tokens = new AccessTokens({ privateKey: config.JWT_PRIVATE_KEY, issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE, ttlSeconds: config.ACCESS_TOKEN_TTL_SECONDS });
  const api = new Api(tokens);
  const routers: Router[] = [];
  // Where each write landed, for the proxy's consistency tokens (ADR-0021).
  routers.push(commitPositionRouter(async () => (await prisma.$queryRaw<{ lsn: string }[]>`SELECT pg_current_wal_insert_lsn()::text AS lsn`)[0]!.lsn, logger));

  // ---- modules (each: store -> service -> router; cross-module calls through *-module.ts) ----
  const users = new UsersService(new PrismaUsersStore(prisma), argon2idHasher, tokens);
  routers.push(usersRouter(api, users));

  /** The catalog's service; other modules see it only as a CatalogModule. */
  const catalog = new CatalogService(new PrismaCatalogStore(prisma));
  routers.push(catalogRouter(api, catalog));

  /** The inventory's service; other modules see it only as an InventoryModule (reserve/release in their tx). */
  const inventory = new InventoryService(new PrismaInventoryStore(prisma), catalog, transactions);
  routers.push(inventoryRouter(api, inventory));

  const notifications = new NotificationsService({ store: new PrismaNotificationsStore(prisma) });
  routers.push(notificationsRouter(api, notifications));

  /** Payments behind the PaymentProvider interface; the simulated provider has documented, deterministic outcomes. */
  const payments = new PaymentsService({ store: new PrismaPaymentsStore(prisma), provider: new SimulatedPaymentProvider() });

  const cart = new CartService({ store: new PrismaCartStore(prisma), catalog });
  routers.push(cartRouter(api, cart));

  const orders = new OrdersService({
    transactions,
    orders: new PrismaOrdersStore(prisma),
    idempotency: new PrismaIdempotencyStore(prisma),
    cart,
    catalog,
    inventory,
    payments,
    notifications,
    // Keyed hash of checkout requests, derived from the token signing key so that no extra setting is needed.
    requestHashKey: createHmac('sha256', config.JWT_PRIVATE_KEY.export({ type: 'pkcs8', format: 'der' })).update('legacy-monolith idempotency request hash').digest(),
  });
  routers.push(ordersRouter(api, orders));

  const app = buildApp({
    logger,
    metrics: createMetricsRegistry('legacy-monolith'),
    api,
    routers,
    readiness: {
      database: async () => {
        await prisma.$queryRaw`SELECT 1`;
      },
    },
    bodyLimit: config.BODY_LIMIT,
  });
  return {
    app,
    prisma,
    tokens,
    transactions,
    /** Module interfaces, for tests that drive one module the way another module does. */
    modules: { catalog: catalog as CatalogModule, inventory: inventory as InventoryModule },
    close: () => prisma.$disconnect(),
  };
}
