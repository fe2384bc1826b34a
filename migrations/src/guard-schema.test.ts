import { describe, expect, it } from 'vitest';
import { ManifestError, parseManifest } from './load-manifests.js';

const base = `
domain: catalog
adr: 9
service: { name: catalog-service, urls: [http://127.0.0.1:4101] }
routes:
  - { method: GET, path: /api/products }
  - { method: GET, path: /api/products/:id }
`;

function problem(extra: string): { field: string; reason: string; file: string } {
  try {
    parseManifest(base + extra, 'migrations/catalog.yaml');
  } catch (err) {
    if (err instanceof ManifestError) return { field: err.field, reason: err.reason, file: err.file };
    throw err;
  }
  throw new Error('expected a ManifestError');
}

describe('compare and guard in a manifest', () => {
  it('are accepted with ignore rules, limits and promotion steps, defaults filled in', () => {
    const m = parseManifest(
      `${base}compare:
  sampleRate: 0.2
  ignore:
    - { route: GET /api/products/:id, paths: ["$.updatedAt", "$..generatedAt", "$.items[*].stock"] }
    - { paths: ["$['x-trace']"] }
guard: { maxErrorRate: 0.02, maxP99Ratio: 2, maxDiffRate: 0.01, minRequests: 20, windowSeconds: 60, evaluateEverySeconds: 5, promotion: { steps: [5, 25, 50, 100], intervalSeconds: 300 } }
`,
      'migrations/catalog.yaml',
    );
    expect(m.compare).toMatchObject({ sampleRate: 0.2, shadowRate: 1, noiseRate: 0.1 });
    expect(m.compare!.ignore).toHaveLength(2);
    expect(m.guard).toMatchObject({ maxP99Ratio: 2, promotion: { steps: [5, 25, 50, 100] } });
  });

  it('an invalid JSON path in compare.ignore is refused naming the file, the field and the reason', () => {
    const p = problem('compare: { ignore: [ { paths: ["items.price"] } ] }\n');
    expect(p).toMatchObject({ file: 'migrations/catalog.yaml', field: 'compare.ignore.0.paths.0' });
    expect(p.reason).toMatch(/must start with \$/);
    expect(problem('compare: { ignore: [ { paths: ["$.items[x]"] } ] }\n').reason).toMatch(/unexpected "\["/);
  });

  it('an ignore rule for a route the domain does not claim is refused', () => {
    const p = problem('compare: { ignore: [ { route: GET /api/orders, paths: ["$.a"] } ] }\n');
    expect(p.field).toBe('compare.ignore.0.route');
    expect(p.reason).toMatch(/not one of this domain's routes/);
  });

  it('a guard without a service is refused', () => {
    const err = (() => {
      try {
        parseManifest('domain: catalog\nadr: 9\nguard: { minRequests: 5 }\n', 'migrations/catalog.yaml');
      } catch (e) {
        return e as ManifestError;
      }
      throw new Error('expected a ManifestError');
    })();
    expect(err).toMatchObject({ field: 'guard', reason: expect.stringMatching(/needs a service/) });
  });

  it('an impossible guard is refused naming the field', () => {
    expect(problem('guard: { maxErrorRate: -0.1 }\n')).toMatchObject({ field: 'guard.maxErrorRate' });
    expect(problem('guard: { maxDiffRate: 2 }\n').reason).toMatch(/share from 0 to 1/);
    expect(problem('guard: { maxP99Ratio: 0 }\n').field).toBe('guard.maxP99Ratio');
    expect(problem('guard: { minRequests: 0 }\n').field).toBe('guard.minRequests');
    const window = problem('guard: { windowSeconds: 5, evaluateEverySeconds: 10 }\n');
    expect(window).toMatchObject({ field: 'guard.windowSeconds' });
    expect(window.reason).toMatch(/shorter than evaluateEverySeconds/);
    expect(problem('guard: { promotion: { steps: [50, 25], intervalSeconds: 60 } }\n').field).toBe('guard.promotion.steps');
  });
});
