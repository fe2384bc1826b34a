// The alerting rules (ADR-0023) checked with the real promtool when it is here (npm test installs
// Debian's prometheus for it: tools/debian/ensure-commands.sh, npm run promtool:ensure), else by parsing them.
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '../..');
const RULES = join(HERE, 'alerts.yml');

function promtool(): string | undefined {
  if (process.env.PROMTOOL_PATH) return process.env.PROMTOOL_PATH;
  const found = spawnSync('sh', ['-c', 'command -v promtool'], { encoding: 'utf8' });
  return found.status === 0 ? found.stdout.trim() : undefined;
}

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

const rules = (parse(readFileSync(RULES, 'utf8')) as { groups: { name: string; rules: Rule[] }[] }).groups.flatMap((g) => g.rules);

/** Every TypeScript source of the repository (what registers the metrics). */
function sources(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.') || name === 'generated') continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) sources(path, out);
    else if (name.endsWith('.ts') && !name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

describe('the Prometheus alerting rules', () => {
  it('cover an automatic rollback, a guard breach, a dead letter and the CDC lag, each with a severity and a summary', () => {
    expect(rules.map((r) => r.alert).sort()).toEqual(['StranglerAutomaticRollback', 'StranglerCdcLagHigh', 'StranglerDiffRateHigh', 'StranglerGuardBreach', 'StranglerProjectionDeadLetter']);
    for (const rule of rules) {
      expect(rule.labels?.severity, rule.alert).toMatch(/^(page|ticket)$/);
      expect(rule.annotations?.summary, rule.alert).toBeTruthy();
    }
  });

  it('use only metrics that the code registers', () => {
    const code = sources(ROOT).map((f) => readFileSync(f, 'utf8')).join('\n');
    const metrics = new Set(rules.flatMap((r) => [...r.expr.matchAll(/\b((?:strangler|cdc)_[a-z_]+)\b/g)].map((m) => m[1]!)));
    expect([...metrics].sort()).toEqual(['cdc_projection_events_total', 'cdc_watermark_lag_seconds', 'strangler_alerts_total', 'strangler_compare_total']);
    for (const metric of metrics) {
      // The projection consumer names its metrics from a prefix, `cdc_projection` unless a consumer (the reverse sync) sets its own.
      const projected = /^cdc_projection_(.+)$/.exec(metric);
      if (projected) expect([code.includes("metricPrefix ?? 'cdc_projection'"), code.includes(`name: \`\${prefix}_${projected[1]}\``)], metric).toEqual([true, true]);
      else expect(code, metric).toContain(`name: '${metric}'`);
    }
  });

  const tool = promtool();
  it.runIf(tool !== undefined)('pass promtool check rules, and fire as alerts.test.yml expects (promtool test rules)', () => {
    expect(execFileSync(tool!, ['check', 'rules', RULES], { encoding: 'utf8' })).toMatch(/SUCCESS: 5 rules found/);
    expect(execFileSync(tool!, ['test', 'rules', join(HERE, 'alerts.test.yml')], { cwd: HERE, encoding: 'utf8' })).toMatch(/SUCCESS/);
  });
});
