import express from 'express';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { faultSwitch } from './fault-switch.js';

function app(settings: { priceDelta: number; errorRate: number }, random = () => 0.5) {
  const a = express();
  a.use(faultSwitch(settings, random));
  a.get('/api/products', (_req, res) => {
    res.json({ items: [{ id: 'a', priceCents: 1000 }], total: 1 });
  });
  return a;
}

describe('the deliberate-defect switch (tests only)', () => {
  it('shifts every price by CATALOG_FAULT_PRICE_DELTA and nothing else', async () => {
    const res = await request(app({ priceDelta: 7, errorRate: 0 })).get('/api/products');
    expect(res.body).toEqual({ items: [{ id: 'a', priceCents: 1007 }], total: 1 });
  });

  it('fails the share of requests CATALOG_FAULT_ERROR_RATE says with a 500', async () => {
    expect((await request(app({ priceDelta: 0, errorRate: 0.6 }, () => 0.5)).get('/api/products')).status).toBe(500);
    expect((await request(app({ priceDelta: 0, errorRate: 0.4 }, () => 0.5)).get('/api/products')).status).toBe(200);
  });
});
