import { createPrivateKey } from 'node:crypto';
import { Api, createLogger, currentContext, errorHandler, generateTokenKeyPair, requestContext } from '@strangler/platform';
import express, { Router } from 'express';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { AccessTokens } from './access-tokens.js';

describe('Api.route (over HTTP, without a database)', () => {
  it('puts the caller’s user id into the request context, so log lines of the request carry it', async () => {
    const tokens = new AccessTokens({ privateKey: createPrivateKey(generateTokenKeyPair().privateKey), issuer: 'test', audience: 'test-api', ttlSeconds: 60 });
    const api = new Api(tokens);
    const router = Router();
    api.route(router, { method: 'get', path: '/whoami', summary: 'test', tags: ['test'], auth: 'user', responses: { 200: { description: 'ok' } } }, () => ({
      status: 200,
      body: { userId: currentContext()?.userId ?? null },
    }));
    const app = express().use(requestContext()).use(router).use(errorHandler(createLogger('test', 'silent')));
    const { token } = tokens.sign({ sub: '00000000-0000-4000-8000-000000000042', role: 'customer', email: 'u@example.com' });

    const res = await request(app).get('/whoami').set('authorization', `Bearer ${token}`).expect(200);

    expect(res.body).toEqual({ userId: '00000000-0000-4000-8000-000000000042' });
  });
});
