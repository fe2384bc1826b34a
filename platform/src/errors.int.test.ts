import express from 'express';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { requestContext } from './context.js';
import { ConflictError, errorHandler, notFoundHandler, ServiceUnavailableError } from './errors.js';
import { createLogger } from './logger.js';

function app() {
  const a = express();
  a.use(requestContext());
  a.use(express.json({ limit: '1kb' }));
  a.post('/echo', (req, res) => {
    res.json(z.object({ name: z.string().min(1) }).parse(req.body));
  });
  a.get('/conflict', () => {
    throw new ConflictError('Already there', 'already_exists');
  });
  a.get('/down', () => {
    throw new ServiceUnavailableError('catalog-service is unavailable', 7);
  });
  a.get('/bug', () => {
    throw new TypeError('undefined is not a function');
  });
  a.use(notFoundHandler());
  a.use(errorHandler(createLogger('test', 'silent')));
  return a;
}

describe('error middleware (over HTTP)', () => {
  it('turns a zod failure into 400 naming the field', async () => {
    const res = await request(app()).post('/echo').send({ name: '' }).expect(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect(res.body.error.message).toMatch(/^name: /);
  });

  it('keeps the code and status of an AppError', async () => {
    const res = await request(app()).get('/conflict').set('x-request-id', 'rid-1').expect(409);
    expect(res.body).toEqual({ error: { code: 'already_exists', message: 'Already there', correlationId: 'rid-1' } });
  });

  it('sends Retry-After with a 503', async () => {
    const res = await request(app()).get('/down').expect(503);
    expect(res.headers['retry-after']).toBe('7');
  });

  it('hides the details of an unexpected error behind a 500', async () => {
    const res = await request(app()).get('/bug').expect(500);
    expect(res.body.error).toMatchObject({ code: 'internal_error', message: 'Internal server error' });
    expect(JSON.stringify(res.body)).not.toContain('undefined is not a function');
  });

  it('maps malformed JSON to 400 and an oversized body to 413', async () => {
    await request(app()).post('/echo').set('content-type', 'application/json').send('{').expect(400);
    const big = await request(app()).post('/echo').send({ name: 'x'.repeat(2000) }).expect(413);
    expect(big.body.error.code).toBe('payload_too_large');
  });
});
