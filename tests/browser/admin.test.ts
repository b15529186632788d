/**
 * The admin pages in headless Chromium: sign in by keyboard, see an X delivery that failed on
 * the timeline, press Retry, see it sent with a link to the post; Bull Board runs under its CSP.
 * Real: `syndicate start` in a child process (trusting a test CA through NODE_EXTRA_CA_CERTS, as
 * production would trust a proxy), Redis, SQLite, Chromium. Faked: X, by a local HTTPS server
 * speaking its API v2 (tests/helpers/fake-x-server.ts), told to refuse the first post.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { FakeXServer, X_ERRORS } from '../helpers/fake-x-server.js';
import { freePort } from '../helpers/ports.js';
import { deletePrefix, TEST_REDIS_URL, uniquePrefix } from '../helpers/redis.js';
import { createTestTls, type TestTls } from '../helpers/tls.js';
import { waitFor } from '../helpers/wait.js';
import { focusOutline, launchChromium, screenshot, tabTo } from './chromium.js';

const bin = fileURLToPath(new URL('../../bin/syndicate.js', import.meta.url));
/** `UPDATE_DOCS_SCREENSHOTS=1` also writes the README's picture of the timeline. */
const DOCS_SCREENSHOT = process.env.UPDATE_DOCS_SCREENSHOTS
  ? fileURLToPath(new URL('../../docs/admin-timeline.png', import.meta.url))
  : undefined;
const PUBLISHER_TOKEN = 'browser-publisher-token-0123456789';
const ADMIN_TOKEN = 'browser-admin-token-0123456789abcdef';
const X_CREDENTIALS = { apiKey: 'x-key', apiSecret: 'x-secret', accessToken: 'x-token', accessSecret: 'x-access-secret' };
const ARTICLE = {
  id: 'harbour-bridge-reopens',
  url: 'https://news.example/2026/03/harbour-bridge-reopens',
  title: 'Harbour bridge reopens after a year of repairs',
  summary: 'Buses and bicycles return on Monday; cars follow in April.',
  authors: [{ name: 'Ines Duarte' }],
  tags: ['Harbour', 'Transport'],
};

describe('admin pages in a browser', () => {
  let tls: TestTls;
  let x: FakeXServer;
  let service: ChildProcess;
  let output = '';
  let base: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const prefix = uniquePrefix('browser-admin');

  const api = async (method: string, route: string, body?: unknown) => {
    const response = await fetch(`${base}${route}`, {
      method,
      headers: { authorization: `Bearer ${PUBLISHER_TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return (await response.json()) as { deliveries?: Record<string, { state: string }> };
  };
  /** The X row's cells on the timeline, as text. */
  const xRow = () => page.locator('tr', { has: page.locator('th[scope=row]', { hasText: /^X$/ }) });

  beforeAll(async () => {
    tls = await createTestTls();
    x = await FakeXServer.start({ tls, credentials: X_CREDENTIALS });
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    service = spawn(process.execPath, [bin, 'start'], {
      env: {
        ...process.env,
        NODE_EXTRA_CA_CERTS: tls.caFile,
        PORT: String(port),
        HOST: '127.0.0.1',
        PUBLIC_BASE_URL: base,
        DATA_DIR: mkdtempSync(path.join(tmpdir(), 'syndicate-browser-admin-')),
        REDIS_URL: TEST_REDIS_URL,
        QUEUE_PREFIX: prefix,
        PUBLISHER_TOKEN,
        ADMIN_TOKEN,
        SECRET_KEY: 'browser-secret-key-0123456789abcdef0123456789',
        SITE_TITLE: 'Harbour Gazette',
        SITE_URL: 'https://news.example/',
        CHANNELS: 'feeds,newsletter,x',
        X_API_KEY: X_CREDENTIALS.apiKey,
        X_API_SECRET: X_CREDENTIALS.apiSecret,
        X_ACCESS_TOKEN: X_CREDENTIALS.accessToken,
        X_ACCESS_SECRET: X_CREDENTIALS.accessSecret,
        X_API_BASE_URL: x.url,
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    service.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    service.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const [launched] = await Promise.all([
      launchChromium(),
      waitFor(async () => (await fetch(`${base}/readyz`).catch(() => null))?.ok, 90_000, 'the service').catch((error: Error) => {
        throw new Error(`${error.message}\n${output}`);
      }),
    ]);
    browser = launched;
    context = await browser.newContext({ viewport: { width: 1280, height: 900 }, reducedMotion: 'reduce' });
    page = await context.newPage();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    service?.kill('SIGTERM');
    await new Promise((resolve) => (service && service.exitCode === null ? service.once('exit', resolve) : resolve(null)));
    await x?.close();
    await tls?.remove();
    await deletePrefix(prefix);
  });

  it('signs in by keyboard, shows the failed X delivery, and Retry sends it', async () => {
    onTestFailed(async () => void (await screenshot(page, 'admin-failure').catch(() => undefined)));
    x.failNext('/2/tweets', { status: 401, method: 'POST', body: X_ERRORS.unauthorized });
    await api('POST', '/api/articles', ARTICLE);
    await waitFor(
      async () => (await api('GET', `/api/articles/${ARTICLE.id}`)).deliveries?.x?.state === 'failed',
      20_000,
      'the X delivery to fail',
    );

    // A browser without a session lands on the login form, which returns it to the page asked for.
    await page.goto(`${base}/admin/articles/${ARTICLE.id}`);
    expect(page.url()).toBe(`${base}/admin/login?next=${encodeURIComponent(`/admin/articles/${ARTICLE.id}`)}`);
    await tabTo(page, '#token');
    expect((await focusOutline(page)).style).toBe('solid');
    await page.keyboard.type(ADMIN_TOKEN);
    await Promise.all([page.waitForURL(`${base}/admin/articles/${ARTICLE.id}`), page.keyboard.press('Enter')]);

    // The first Tab reaches the skip link, which takes focus to the content.
    await page.keyboard.press('Tab');
    expect(await page.locator(':focus').textContent()).toBe('Skip to main content');
    expect(await page.locator('a.skip').boundingBox()).toMatchObject({ x: expect.any(Number) });
    expect((await page.locator('a.skip').boundingBox())!.x).toBeGreaterThanOrEqual(0);
    await page.keyboard.press('Enter');
    expect(await page.locator(':focus').getAttribute('id')).toBe('main');

    await expect.poll(() => xRow().locator('.badge').textContent()).toBe('failed');
    expect(await xRow().textContent()).toContain('credentials refused');
    // The email as subscribers see it, in its sandboxed frame.
    await page.frameLocator('iframe.email').getByRole('heading', { name: ARTICLE.title }).waitFor();
    await screenshot(page, 'admin-timeline-failed', DOCS_SCREENSHOT);

    await tabTo(page, 'form[action$="/retry"] button');
    expect(await page.locator(':focus').textContent()).toBe('Retry X');
    expect((await focusOutline(page)).style).toBe('solid');
    await Promise.all([page.waitForURL(/\?done=retry&channel=x$/), page.keyboard.press('Enter')]);
    expect(await page.locator('[role=status]').textContent()).toBe('Retry queued for X.');

    // No script on the page: the operator reloads to follow the delivery.
    await waitFor(
      async () => {
        await page.reload();
        return (await xRow().locator('.badge').textContent()) === 'sent';
      },
      20_000,
      'the X delivery to be sent after Retry',
    );
    const [tweet] = [...x.tweets.values()];
    expect(tweet?.text).toContain(ARTICLE.url);
    const link = xRow().getByRole('link', { name: 'View on X' });
    expect(await link.getAttribute('href')).toBe(`https://x.com/i/web/status/${tweet!.id}`);
    expect(await xRow().locator('td').nth(1).textContent()).toBe('2');
    expect(await xRow().locator('td.error').textContent()).toMatch(/^An earlier attempt failed:credentials refused/);
    await page.frameLocator('iframe.email').getByRole('heading', { name: ARTICLE.title }).waitFor();
    await screenshot(page, 'admin-timeline-sent');
  }, 120_000);

  it('shows every queue in Bull Board, its scripts running under the board’s CSP', async () => {
    onTestFailed(async () => void (await screenshot(page, 'admin-queues-failure').catch(() => undefined)));
    const refusedScripts: string[] = [];
    const errors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error' && /Content Security Policy/.test(message.text()) && /script/i.test(message.text())) {
        refusedScripts.push(message.text());
      }
    });
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${base}/admin/queues`);
    for (const name of ['publish', 'feeds', 'newsletter', 'x']) {
      await page.getByRole('link', { name, exact: true }).first().waitFor({ timeout: 20_000 });
    }
    expect(refusedScripts).toEqual([]);
    expect(errors).toEqual([]);
    await screenshot(page, 'admin-queues');
  }, 60_000);

  it('logs out by keyboard; the pages then ask to sign in again', async () => {
    onTestFailed(async () => void (await screenshot(page, 'admin-logout-failure').catch(() => undefined)));
    await page.goto(`${base}/admin/articles`);
    await tabTo(page, 'form[action="/admin/logout"] button');
    await Promise.all([page.waitForURL(`${base}/admin/login`), page.keyboard.press('Enter')]);
    await page.goto(`${base}/admin/subscribers`);
    expect(page.url()).toBe(`${base}/admin/login?next=%2Fadmin%2Fsubscribers`);
  }, 60_000);
});
