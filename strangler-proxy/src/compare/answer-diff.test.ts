import { parseJsonPath } from '@strangler/manifests';
import { describe, expect, it } from 'vitest';
import { compareAnswers, type CapturedAnswer } from './answer-diff.js';

function answer(body: unknown, headers: Record<string, string> = {}, status = 200): CapturedAnswer {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return { status, headers: { 'content-type': 'application/json; charset=utf-8', ...headers }, body: Buffer.from(text), truncated: false, durationMs: 1 };
}

describe('comparing two answers', () => {
  it('finds them equal when the JSON says the same in another layout, keys in another order, numbers written otherwise', () => {
    const a = answer('{"id": 1, "price": 10.0, "tags": ["a", "b"]}');
    const b = answer('{"tags":["a","b"],"price":10,"id":1}');
    expect(compareAnswers(a, b)).toEqual({ outcome: 'equal', differences: [] });
  });

  it('names each differing JSON path, arrays compared in order, with both values', () => {
    const result = compareAnswers(answer({ items: [{ id: 1, price: 100 }, { id: 2, price: 200 }] }), answer({ items: [{ id: 1, price: 100 }, { id: 2, price: 250 }] }));
    expect(result.outcome).toBe('different');
    expect(result.differences).toEqual([{ path: '$.items[1].price', pattern: '$.items[*].price', legacy: 200, new: 250 }]);
    const order = compareAnswers(answer({ items: [1, 2] }), answer({ items: [2, 1] }));
    expect(order.differences.map((d) => d.path)).toEqual(['$.items[0]', '$.items[1]']);
  });

  it('compares the status and the headers that matter, not dates or ids', () => {
    const result = compareAnswers(answer({}, { 'cache-control': 'max-age=60', date: 'x', 'x-request-id': '1' }), answer({}, { date: 'y', 'x-request-id': '2' }, 404));
    expect(result.differences.map((d) => d.path)).toEqual(['status', 'header cache-control']);
  });

  it('leaves out the paths of ignore rules', () => {
    const result = compareAnswers(answer({ a: 1, meta: { at: 'x' } }), answer({ a: 1, meta: { at: 'y' } }), [parseJsonPath('$..at')]);
    expect(result.outcome).toBe('equal');
  });

  it('compares a body that is not JSON as bytes', () => {
    const html = { 'content-type': 'text/html' };
    expect(compareAnswers(answer('<p>a</p>', html), answer('<p>a</p>', html)).outcome).toBe('equal');
    expect(compareAnswers(answer('<p>a</p>', html), answer('<p>b</p>', html)).differences).toEqual([{ path: '$', pattern: '$', legacy: '8 bytes: <p>a</p>', new: '8 bytes: <p>b</p>' }]);
  });

  it('counts a body cut at the limit as too_large, without comparing it', () => {
    expect(compareAnswers({ ...answer({}), truncated: true }, answer({ a: 1 })).outcome).toBe('too_large');
  });

  it('never keeps a secret or a token as an example value', () => {
    const result = compareAnswers(answer({ accessToken: 'abc', note: 'Bearer xyz.abc', jwt: 'eyJhbGciOi.eyJzdWIi.sig', user: { password: 'p' } }), answer({ accessToken: 'def', note: 'Bearer other', jwt: 'eyJx.eyJy.z', user: { password: 'q' } }));
    expect(JSON.stringify(result.differences)).not.toMatch(/abc|def|xyz|other|eyJ|"p"|"q"/);
    expect(result.differences.every((d) => d.legacy === '[redacted]' && d.new === '[redacted]')).toBe(true);
  });
});
