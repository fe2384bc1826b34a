import { describe, expect, it } from 'vitest';
import { normalisePath } from './normalise-path.js';

function pathOf(url: string): string {
  const result = normalisePath(url);
  if (!result.ok) throw new Error(`rejected: ${result.reason}`);
  return result.path;
}

describe('path normalisation', () => {
  it.each([
    ['/api/products', '/api/products'],
    ['/api//products', '/api/products'],
    ['//api/products/', '/api/products'],
    ['/api/./products', '/api/products'],
    ['/api/orders/../products', '/api/products'],
    ['/api/orders/%2e%2e/products', '/api/products'],
    ['/api/orders/%2E%2E/products', '/api/products'],
    ['/api/orders/.%2e/products', '/api/products'],
    ['/api/%70roducts', '/api/products'],
    ['/api/products/caf%c3%a9', '/api/products/caf%C3%A9'],
    ['/api/products/%252e%252e', '/api/products/%252e%252e'],
    ['/', '/'],
  ])('normalises %s to %s', (input, expected) => {
    expect(pathOf(input)).toBe(expected);
  });

  it.each(['/api/products', '/API/Products/42', '/a/b-c_d~e', '/', '/api/products?q=x'])('returns a path already in normal form (%s) as it is', (input) => {
    expect(normalisePath(input)).toEqual({ ok: true, path: input.split('?')[0], search: input.includes('?') ? input.slice(input.indexOf('?')) : '' });
  });

  it.each([
    ['/api/products/', '/api/products'],
    ['/api//products', '/api/products'],
    ['/api/products.json', '/api/products.json'],
    ['/api/p%41', '/api/pA'],
  ])('still normalises a path that differs from the common form in one place: %s', (input, expected) => {
    expect(pathOf(input)).toBe(expected);
  });

  it.each(['/api/products\\x', '/api/pro ducts', '/api/products#x', '/api/produ\u0001cts', '/api/produ\u00e9cts'])('rejects a character that is not allowed without an escape (%j)', (input) => {
    expect(normalisePath(input).ok).toBe(false);
  });

  it('keeps the query string apart and untouched', () => {
    expect(normalisePath('/api//products?q=a/../b&x=%2f')).toEqual({ ok: true, path: '/api/products', search: '?q=a/../b&x=%2f' });
  });

  it.each([
    ['an encoded slash', '/api/products%2f1'],
    ['an encoded upper-case slash', '/api/products%2F1'],
    ['an encoded backslash', '/api/products%5c1'],
    ['a raw backslash', '/api\\products'],
    ['an encoded NUL', '/api/products%00'],
    ['a malformed escape', '/api/products%zz'],
    ['a truncated escape', '/api/products%2'],
    ['a climb above the root', '/../etc/passwd'],
    ['an encoded climb above the root', '/api/%2e%2e/%2e%2e/etc'],
    ['a trailing dot', '/api/products.'],
    ['trailing dots on a parameter', '/api/products/1..'],
    ['an absolute-form target', 'http://evil.example/api/products'],
    ['an asterisk-form target', '*'],
    ['a fragment', '/api/products#x'],
  ])('rejects %s', (_label, input) => {
    expect(normalisePath(input).ok).toBe(false);
  });
});
