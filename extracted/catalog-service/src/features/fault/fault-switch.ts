import { Router, type Response } from 'express';

/**
 * A deliberate defect, for tests only (ADR-0023): it makes this service answer wrongly so that the
 * proxy's comparison and guards can be seen catching it. Never set these in production.
 * `priceDelta`: every `priceCents` in an answer is off by this much. `errorRate`: this share of the
 * /api requests answers 500.
 */
export interface FaultSettings {
  priceDelta: number;
  errorRate: number;
}

function shiftPrices(value: unknown, delta: number): unknown {
  if (Array.isArray(value)) return value.map((v) => shiftPrices(v, delta));
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, k === 'priceCents' && typeof v === 'number' ? v + delta : shiftPrices(v, delta)]));
}

export function faultSwitch(settings: FaultSettings, random: () => number = Math.random): Router {
  const router = Router();
  router.use('/api', (_req, res, next) => {
    if (settings.errorRate > 0 && random() < settings.errorRate) {
      res.status(500).json({ error: { code: 'injected_fault', message: 'CATALOG_FAULT_ERROR_RATE: a deliberate failure for tests', correlationId: String(res.getHeader('x-request-id') ?? 'none') } });
      return;
    }
    if (settings.priceDelta !== 0) {
      const json = res.json.bind(res);
      res.json = ((body: unknown) => json(shiftPrices(body, settings.priceDelta))) as Response['json'];
    }
    next();
  });
  return router;
}
