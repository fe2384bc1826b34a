import { execFile } from 'node:child_process';
import { accessSync, constants, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import AxeBuilder from '@axe-core/playwright';
import { loadManifests } from '@strangler/manifests';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test-support/database.js';
import { startStandIn, type StandIn } from '../../test-support/stand-in.js';
import { startTestProxy, startTestUnleash, type UnleashFixture } from '../../test-support/proxy-fixture.js';
import type { RunningProxy } from '../runtime.js';

const TOKEN = 'dashboard-token-0123456789abcdef';
const ARTIFACTS = fileURLToPath(new URL('../../../test-artifacts/', import.meta.url));
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const DOMAINS = loadManifests().map((m) => m.domain);

let monolith: StandIn;
let catalog: StandIn;
let unleash: UnleashFixture;
let database: TestDatabase;
let proxy: RunningProxy;

beforeAll(async () => {
  [monolith, catalog, unleash, database] = await Promise.all([startStandIn('legacy-monolith'), startStandIn('catalog-service'), startTestUnleash(), createTestDatabase('proxy_dashboard')]);
  // The repository's own manifests (every domain), with the catalog's service on a stand-in.
  proxy = await startTestProxy({
    MONOLITH_URLS: monolith.url,
    SERVICE_URLS: `catalog-service=${catalog.url}`,
    UNLEASH_URL: unleash.unleash.url,
    UNLEASH_CLIENT_TOKEN: unleash.clientToken,
    UNLEASH_ADMIN_TOKEN: unleash.adminToken,
    PROXY_DATABASE_URL: database.url,
    ADMIN_TOKEN: TOKEN,
  });
  // Some traffic, so that the page has numbers to show.
  for (const path of ['/api/products', '/api/products/1', '/api/categories', '/api/cart', '/api/users/me', '/openapi.json']) {
    await (await fetch(`${proxy.url}${path}`)).arrayBuffer();
  }
}, 60_000);

afterAll(async () => {
  await proxy?.close();
  await Promise.all([monolith?.close(), catalog?.close()]);
  await unleash?.stop();
  await database?.drop();
});

async function signIn(token: string, headers: Record<string, string> = {}) {
  return fetch(`${proxy.adminUrl}/sign-in`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams({ token }) });
}

async function sessionCookie(): Promise<{ cookie: string; csrf: string }> {
  const res = await signIn(TOKEN);
  const cookie = res.headers.get('set-cookie')!.split(';')[0]!;
  const page = await (await fetch(`${proxy.adminUrl}/`, { headers: { cookie } })).text();
  return { cookie, csrf: /name="csrf-token" content="([^"]+)"/.exec(page)![1]! };
}

describe("the map of the repository's manifests", () => {
  it('sends every route of a domain without a service to the monolith, as before the map', async () => {
    const claimed = loadManifests().filter((m) => !m.service).flatMap((m) => m.routes);
    expect(claimed.length).toBeGreaterThan(10);
    for (const route of claimed) {
      const res = await fetch(`${proxy.url}${route.path.replace(/:[A-Za-z]+/g, '1')}`, { method: route.method, headers: { 'content-type': 'application/json' }, body: route.method === 'GET' ? undefined : '{}' });
      await res.arrayBuffer();
      expect(`${route.method} ${route.path} ${res.headers.get('x-served-by')}`).toBe(`${route.method} ${route.path} legacy-monolith`);
    }
  });

  it('is printed by npm run strangler -- map with the unclaimed requests and the progress', async () => {
    const cli = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
    const { stdout, code } = await new Promise<{ stdout: string; code: number }>((resolve) =>
      execFile(process.execPath, [cli, 'map'], { env: { PATH: process.env.PATH, STRANGLER_ADMIN_URL: proxy.adminUrl, STRANGLER_ADMIN_TOKEN: TOKEN, NO_COLOR: '1' } }, (err, out) =>
        resolve({ stdout: out, code: err ? Number(err.code) : 0 }),
      ),
    );
    expect(code).toBe(0);
    for (const domain of DOMAINS) expect(stdout).toContain(domain);
    expect(stdout).toMatch(/GET \/openapi\.json: \d+/);
    expect(stdout).toMatch(/^progress: 0 of \d+ routes served by new services \(0%\); 0 of \d+ requests in the last hour \(0%\)$/m);
  });
});

describe('signing in to the dashboard', () => {
  it('shows the sign-in form, with no token in it, to a visitor without a session', async () => {
    const res = await fetch(`${proxy.adminUrl}/`);
    const body = await res.text();
    expect(res.status).toBe(200);
    expect(body).toContain('<form method="post" action="/sign-in"');
    expect(body).not.toContain(TOKEN);
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
  });

  it('with the admin token gives an HttpOnly, SameSite=Strict session cookie, and the page never holds the token', async () => {
    const res = await signIn(TOKEN);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/');
    const setCookie = res.headers.get('set-cookie')!;
    expect(setCookie).toMatch(/^strangler_admin=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=\d+$/);
    expect(setCookie).not.toContain(TOKEN);
    const page = await (await fetch(`${proxy.adminUrl}/`, { headers: { cookie: setCookie.split(';')[0]! } })).text();
    expect(page).toContain('Signed in as <strong>admin</strong>');
    expect(page).not.toContain(TOKEN);
  });

});

describe('the data and actions behind the page', () => {
  it('answer 401 session_expired without a session', async () => {
    const res = await fetch(`${proxy.adminUrl}/ui/state`);
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('session_expired');
  });

  it('render the decision record a domain cites, with its status', async () => {
    const { cookie } = await sessionCookie();
    const res = await fetch(`${proxy.adminUrl}/ui/adrs/9`, { headers: { cookie, accept: 'text/html' } });
    const body = await res.text();
    expect(res.status).toBe(200);
    expect(body).toContain('<h1>ADR 9: Extract the catalog domain first</h1>');
    expect(body).toContain('<span class="badge status-accepted">accepted</span>');
    expect((await fetch(`${proxy.adminUrl}/ui/adrs/9999`, { headers: { cookie, accept: 'application/json' } })).status).toBe(404);
  });

  it('refuse a flip without the CSRF token, or from another site, and change nothing', async () => {
    const { cookie, csrf } = await sessionCookie();
    const flip = (headers: Record<string, string>) =>
      fetch(`${proxy.adminUrl}/ui/domains/catalog/flip`, { method: 'POST', headers: { cookie, 'content-type': 'application/json', ...headers }, body: JSON.stringify({ stage: 'shadow' }) });
    const noToken = await flip({});
    expect(noToken.status).toBe(403);
    expect(((await noToken.json()) as { error: { code: string } }).error.code).toBe('csrf_token_invalid');
    const crossSite = await flip({ 'x-csrf-token': csrf, 'sec-fetch-site': 'cross-site' });
    expect(crossSite.status).toBe(403);
    expect(((await crossSite.json()) as { error: { code: string } }).error.code).toBe('cross_site_request');
    expect(await proxy.audit!.list({ domain: 'catalog' })).toEqual([]);
  });
});

async function launch(): Promise<Browser> {
  try {
    accessSync(CHROMIUM, constants.X_OK);
  } catch {
    throw new Error(`no Chromium at ${CHROMIUM}: run npm run browser:ensure (npm test does) or set CHROMIUM_PATH`);
  }
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-dev-shm-usage'] });
}

describe('the page in a real Chromium', () => {
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    browser = await launch();
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  }, 30_000);

  afterAll(async () => {
    await browser?.close();
  });

  const card = (domain: string) => page.locator(`#domain-${domain}`);
  const confirm = async (expected: RegExp) => {
    await expect.poll(() => page.locator('#confirm-text').textContent()).toMatch(expected);
    await page.locator('#confirm-ok').click();
  };

  it('signs in with the admin token and shows every domain of the map with its stage', async () => {
    await page.goto(`${proxy.adminUrl}/`);
    await page.getByLabel('Admin token').fill(TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForSelector('#domain-catalog [data-testid="stage"]');
    for (const domain of DOMAINS) await expect.poll(() => page.locator(`#domain-${domain}-title`).textContent()).toContain(domain);
    expect(await card('catalog').locator('[data-testid="stage"]').textContent()).toBe('legacy 0%');
    expect(page.url()).toBe(`${proxy.adminUrl}/`);
    expect(await page.content()).not.toContain(TOKEN);
  }, 30_000);

  it('flips catalog to shadow after a confirmation, and shows the new stage and audit row without a reload', async () => {
    const catalogCard = card('catalog');
    await catalogCard.getByLabel('Stage').selectOption('shadow');
    await catalogCard.getByLabel('Reason').fill('compare answers');
    await catalogCard.getByRole('button', { name: 'Flip…' }).click();
    await confirm(/^Flip catalog from legacy 0% to shadow 0%: the monolith keeps serving every request; safe requests are also copied to catalog-service/);
    await expect.poll(() => catalogCard.locator('[data-testid="stage"]').textContent(), { timeout: 10_000 }).toBe('shadow 0%');
    await expect.poll(() => catalogCard.locator('[data-testid="timeline"] li').first().textContent(), { timeout: 10_000 }).toMatch(/#\d+ admin: legacy 0% → shadow 0% \(ADR 9\) “compare answers”/);
    expect((await proxy.audit!.list({ domain: 'catalog' }))[0]).toMatchObject({ actor: 'admin', fromStage: 'legacy', toStage: 'shadow', reason: 'compare answers' });
  }, 30_000);

  it('shows the reason when the rules refuse a flip', async () => {
    const catalogCard = card('catalog');
    await catalogCard.getByLabel('Stage').selectOption('new');
    await catalogCard.getByRole('button', { name: 'Flip…' }).click();
    await confirm(/^Flip catalog from shadow 0% to new 100%/);
    await expect.poll(() => catalogCard.locator('.message').textContent(), { timeout: 10_000 }).toMatch(/^Refused: the catalog domain is at shadow; it may move forward one stage at a time \(next: canary\)/);
    expect(await catalogCard.locator('[data-testid="stage"]').textContent()).toBe('shadow 0%');
  }, 30_000);

  it('has no serious or critical accessibility violation, and leaves a screenshot', async () => {
    const results = await new AxeBuilder({ page }).analyze();
    const serious = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    expect(serious.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`)).toEqual([]);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: `${ARTIFACTS}dashboard.png`, fullPage: true });
  }, 60_000);

  it('reads on a phone: no part of the page is wider than the screen', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await expect.poll(() => page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.screenshot({ path: `${ARTIFACTS}dashboard-phone.png` });
    await page.setViewportSize({ width: 1280, height: 900 });
  }, 30_000);

  it('rolls catalog back after a confirmation', async () => {
    const catalogCard = card('catalog');
    await catalogCard.getByRole('button', { name: 'Roll back…' }).click();
    await confirm(/^Roll catalog back from shadow 0% back to legacy 0% \(undoes #\d+\)\.$/);
    await expect.poll(() => catalogCard.locator('[data-testid="stage"]').textContent(), { timeout: 10_000 }).toBe('legacy 0%');
    await expect.poll(() => catalogCard.locator('[data-testid="timeline"] li').first().textContent()).toMatch(/admin: shadow 0% → legacy 0% \(ADR 9\) “rollback of flip #\d+”/);
  }, 30_000);

  it('keeps showing the last data, marked stale, while Unleash is down', async () => {
    await unleash.unleash.stop();
    await expect.poll(() => page.locator('#freshness').textContent(), { timeout: 15_000 }).toMatch(/^Stale: Unleash unreachable/);
    expect(await card('catalog').locator('[data-testid="stage"]').textContent()).toBe('legacy 0%');
  }, 30_000);

  it('goes back to the sign-in form when the session has ended, and signs in again', async () => {
    await page.context().clearCookies();
    await expect.poll(() => page.locator('.notice').textContent(), { timeout: 10_000 }).toBe('Your session has ended. Sign in again.');
    await page.getByLabel('Admin token').fill(TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForSelector('#domain-catalog [data-testid="stage"]');
  }, 30_000);

  it('signs out back to the sign-in form, and the old session no longer works', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForSelector('form[action="/sign-in"]');
    const res = await page.request.get(`${proxy.adminUrl}/ui/state`);
    expect(res.status()).toBe(401);
  }, 30_000);
});

describe('wrong admin tokens', () => {
  it('with a wrong token answers 401 with a clear message, then 429 with Retry-After after five tries', async () => {
    const first = await signIn('not-the-token-0123456789', {});
    expect(first.status).toBe(401);
    expect(await first.text()).toContain('That admin token is not valid.');
    for (let i = 0; i < 4; i++) await (await signIn('not-the-token-0123456789')).arrayBuffer();
    const limited = await signIn('not-the-token-0123456789');
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await limited.text()).toMatch(/Too many wrong tokens from this address\. Try again in \d+ s\./);
    // Even the right token waits until the limit has passed.
    expect((await signIn(TOKEN)).status).toBe(429);
  });
});
