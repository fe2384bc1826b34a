import { describe, expect, it } from 'vitest';
import { formatJsonPath, generalise, matchesJsonPath, parseJsonPath } from './json-path.js';

const matches = (pattern: string, path: string) => matchesJsonPath(parseJsonPath(pattern), parseJsonPath(path));

describe('JSON paths', () => {
  it('parse and format members, indexes, wildcards and quoted names', () => {
    expect(formatJsonPath(parseJsonPath("$.items[3]['unit price'].x"))).toBe("$.items[3]['unit price'].x");
    expect(formatJsonPath(generalise(parseJsonPath('$.items[3].price')))).toBe('$.items[*].price');
  });

  it('refuse what is not a path, saying where', () => {
    expect(() => parseJsonPath('items')).toThrow(/must start with \$/);
    expect(() => parseJsonPath('$.')).toThrow(/must be followed by a member name/);
    expect(() => parseJsonPath('$.a[b]')).toThrow(/unexpected "\[" at character 3/);
  });

  it('match a concrete path exactly, through wildcards, at any depth, and everything under a match', () => {
    expect(matches('$.items[*].price', '$.items[7].price')).toBe(true);
    expect(matches('$.items[*].price', '$.items[7].name')).toBe(false);
    expect(matches('$..updatedAt', '$.items[2].category.updatedAt')).toBe(true);
    expect(matches('$.meta', '$.meta.generatedAt')).toBe(true);
    expect(matches('$.meta.generatedAt', '$.meta')).toBe(false);
  });
});
