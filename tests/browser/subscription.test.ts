/**
 * The public newsletter pages in headless Chromium, by keyboard alone: sign up on /subscribe,
 * confirm through the link the confirmation email carries, and unsubscribe through the link of
 * the next newsletter. Real: a listening Syndicate in this process (Redis, SQLite, workers), a
 * real SMTP server (tests/helpers/smtp-sink.ts) catching the emails, Chromium. Nothing is faked.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { SubscriberStore } from '../../src/store/subscribers.js';
import { freePort } from '../helpers/ports.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { startTestSyndicate, type TestSyndicate } from '../helpers/syndicate.js';
import { focusOutline, launchChromium, screenshot, tabTo } from './chromium.js';

const EMAIL = 'reader@example.org';

describe('subscribing, confirming and unsubscribing by keyboard', () => {
  let sink: SmtpSink;
  let t: TestSyndicate;
  let base: string;
  let browser: Browser;
  let page: Page;
  let subscribers: SubscriberStore;

  /** The first link to `path` in a received email's text part. */
  const linkIn = (text: string | undefined, path: 'confirm' | 'unsubscribe') => {
    const match = new RegExp(`${base.replace(/[.]/g, '\\.')}/${path}/[A-Za-z0-9._~-]+`).exec(text ?? '');
    expect(match, `a /${path}/ link in:\n${text}`).not.toBeNull();
    return match![0];
  };
  const state = async () => (await subscribers.getByEmail(EMAIL))?.state;
  const heading = () => page.locator('h1').textContent();

  beforeAll(async () => {
    sink = await startSmtpSink();
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const [launched, started] = await Promise.all([
      launchChromium(),
      startTestSyndicate('browser-subscribe', {
        env: { CHANNELS: 'feeds,newsletter', SMTP_URL: sink.url, MAIL_RATE: '0', PUBLIC_BASE_URL: base, SITE_TITLE: 'Harbour Gazette' },
      }),
    ]);
    browser = launched;
    t = started;
    await t.app.listen({ port, host: '127.0.0.1' });
    subscribers = new SubscriberStore(t.syndicate.database);
    page = await (await browser.newContext({ viewport: { width: 900, height: 800 }, reducedMotion: 'reduce' })).newPage();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await t?.stop();
    await sink?.close();
  });

  it('signs up: Tab to the address, type it, Enter; the page says to check the inbox', async () => {
    onTestFailed(async () => void (await screenshot(page, 'subscribe-failure').catch(() => undefined)));
    await page.goto(`${base}/subscribe`);
    await tabTo(page, '#email');
    expect((await focusOutline(page)).style).toBe('solid');
    await page.keyboard.type(EMAIL);
    await tabTo(page, '#name', 3);
    await page.keyboard.type('Ann Reader');
    await screenshot(page, 'subscribe-form');
    await Promise.all([page.waitForURL(`${base}/subscribe`), page.waitForEvent('load'), page.keyboard.press('Enter')]);
    expect(await heading()).toBe('Check your inbox');
    await screenshot(page, 'subscribe-check-inbox');
    expect(await state()).toBe('pending');
  }, 60_000);

  it('confirms through the emailed link, pressing its button by keyboard when the page has one', async () => {
    onTestFailed(async () => void (await screenshot(page, 'confirm-failure').catch(() => undefined)));
    const [confirmation] = await sink.waitFor(1, 20_000);
    expect(confirmation!.envelope.to).toEqual([EMAIL]);
    await page.goto(linkIn(confirmation!.parsed.text, 'confirm'));
    // Mail scanners follow links: a confirmation page with a button confirms nothing by itself.
    if ((await page.locator('main form button').count()) > 0) {
      expect(await state()).toBe('pending');
      await screenshot(page, 'confirm-button');
      await tabTo(page, 'main form button');
      expect((await focusOutline(page)).style).toBe('solid');
      await Promise.all([page.waitForEvent('load'), page.keyboard.press('Enter')]);
    }
    expect(await heading()).toBe('Subscription confirmed');
    await screenshot(page, 'confirm-done');
    expect(await state()).toBe('confirmed');
  }, 60_000);

  it('unsubscribes through the link of the next newsletter, by keyboard', async () => {
    onTestFailed(async () => void (await screenshot(page, 'unsubscribe-failure').catch(() => undefined)));
    await t.syndicate.service.submit({ id: 'ferry-timetable', url: 'https://news.example/ferry', title: 'New ferry timetable from May' });
    const mails = await sink.waitFor(2, 20_000);
    const letter = mails.find((mail) => mail.parsed.subject === 'New ferry timetable from May');
    expect(letter?.envelope.to).toEqual([EMAIL]);
    await page.goto(linkIn(letter!.parsed.text, 'unsubscribe'));
    expect(await heading()).toBe('Unsubscribe');
    expect(await page.locator('main').textContent()).toContain(EMAIL);
    // The page alone changes nothing.
    expect(await state()).toBe('confirmed');
    await tabTo(page, 'main form button');
    expect((await focusOutline(page)).style).toBe('solid');
    await screenshot(page, 'unsubscribe-button');
    await Promise.all([page.waitForEvent('load'), page.keyboard.press('Enter')]);
    expect(await heading()).toBe('You are unsubscribed');
    await screenshot(page, 'unsubscribe-done');
    expect(await state()).toBe('unsubscribed');
  }, 60_000);
});
