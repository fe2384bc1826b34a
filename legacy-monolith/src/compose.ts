import { createMetricsRegistry, type Logger } from '@strangler/platform';
import type { Router } from 'express';
import { buildApp } from './app.js';
import type { Config } from './config.js';
import { createPrismaClient } from './db/prisma.js';
import { prismaTransactions } from './db/transaction.js';
import { AccessTokens } from './http/access-tokens.js';
import { Api } from './http/api.js';

/**
 * Wires the monolith by hand: one Prisma client, one transaction runner, the stores, the services
 * and their routers. Used by server.ts and by the integration tests, so both run the same graph.
 */
export function composeMonolith(config: Config, logger: Logger) {
  const prisma = createPrismaClient(config.DATABASE_URL, { maxConnections: config.DATABASE_POOL_SIZE });
  const transactions = prismaTransactions(prisma);
  const tokens = new AccessTokens({ secret: config.JWT_SECRET, issuer: config.JWT_ISSUER, ttlSeconds: config.ACCESS_TOKEN_TTL_SECONDS });
  const api = new Api(tokens);
  const routers: Router[] = [];

  // ---- modules (each: store -> service -> router; cross-module calls through *-module.ts) ----
  void transactions;

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
  return { app, prisma, tokens, close: () => prisma.$disconnect() };
}
