import express from 'express';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { deepFreeze, sendJson } from './json-response.js';

const answer = () => ({ id: 'p1', name: 'Espresso «doppio»', priceCents: 250, tags: ['coffee'], category: { slug: 'coffee' } });
const shared = deepFreeze(answer());

function app() {
  const a = express();
  a.get('/express', (_req, res) => {
    res.status(200).json(answer());
  });
  a.get('/send', (req, res) => {
    sendJson(req, res, 200, answer());
  });
  a.get('/shared', (req, res) => {
    sendJson(req, res, 200, shared);
  });
  a.get('/created', (req, res) => {
    sendJson(req, res, 201, answer());
  });
  return a;
}

/** What a client sees of an answer, but the Date header. */
function seen(res: request.Response) {
  const { date: _date, ...headers } = res.headers;
  return { status: res.status, headers, text: res.text };
}

describe('sending JSON', () => {
  it('answers exactly as Express res.json does: status, headers (ETag included) and bytes', async () => {
    const [viaExpress, viaSend] = await Promise.all([request(app()).get('/express'), request(app()).get('/send')]);
    expect(viaSend.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(viaSend.headers.etag).toMatch(/^W\/"/);
    expect(seen(viaSend)).toEqual(seen(viaExpress));
  });

  it('sends the same bytes and ETag for a frozen answer every time, as Express would', async () => {
    const [first, second, viaExpress] = await Promise.all([request(app()).get('/shared'), request(app()).get('/shared'), request(app()).get('/express')]);
    expect(seen(first)).toEqual(seen(viaExpress));
    expect(seen(second)).toEqual(seen(first));
  });

  it('answers 304 without a body to a matching If-None-Match, and the full answer to another', async () => {
    const { headers } = await request(app()).get('/shared').expect(200);
    const notModified = await request(app()).get('/shared').set('if-none-match', headers.etag!).expect(304);
    expect(notModified.text).toBe('');
    expect(notModified.headers['content-length']).toBeUndefined();
    await request(app()).get('/shared').set('if-none-match', 'W/"other"').expect(200, answer());
  });

  it('answers HEAD with the headers of GET and no body', async () => {
    const [get, head] = await Promise.all([request(app()).get('/send'), request(app()).head('/send')]);
    expect(head.status).toBe(200);
    expect(head.headers['content-length']).toBe(get.headers['content-length']);
    expect(head.headers.etag).toBe(get.headers.etag);
    expect(head.text).toBeUndefined();
  });

  it('keeps the status the handler chose', async () => {
    await request(app()).get('/created').expect(201, answer());
  });

  it('goes through a res.json that someone replaced (a fault switch)', async () => {
    const a = express();
    a.use((_req, res, next) => {
      const json = res.json.bind(res);
      res.json = ((body: { priceCents: number }) => json({ ...body, priceCents: body.priceCents + 1 })) as express.Response['json'];
      next();
    });
    a.get('/shared', (req, res) => {
      sendJson(req, res, 200, shared);
    });
    await request(a).get('/shared').expect(200, { ...answer(), priceCents: 251 });
  });
});

describe('deepFreeze', () => {
  it('freezes nested objects and arrays, so that a shared answer cannot be changed by one request', () => {
    const value = deepFreeze({ items: [{ name: 'a' }], page: { n: 1 } });
    expect(Object.isFrozen(value.items)).toBe(true);
    expect(Object.isFrozen(value.items[0])).toBe(true);
    expect(() => {
      (value.page as { n: number }).n = 2;
    }).toThrow(TypeError);
  });
});
