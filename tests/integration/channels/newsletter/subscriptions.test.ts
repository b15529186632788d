/**
 * The newsletter's public routes over HTTP: sign-up, confirmation, one-click unsubscribe; and
 * the SubscriptionService's sign-up form categories.
 * Real: Fastify (inject), the routes and pages, @fastify/formbody, @fastify/rate-limit (in memory,
 * and on the test Redis for the shared limit), the logger; SQLite and the stores for the
 * categories. Faked: the SubscriptionHandlers (they record their calls); the app's other
 * dependencies are stand-ins that throw if touched.
 */
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { DomUtils, parseDocument } from 'htmlparser2';
import { Redis } from 'ioredis';
import type { KyselyPlugin } from 'kysely';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { AppError, type ErrorDetail } from '../../../../src/errors.js';
import { buildApp } from '../../../../src/http/app.js';
import { subscriptionRoutes, type SubscribeRateLimit, type SubscriptionHandlers } from '../../../../src/channels/newsletter/routes.js';
import { CATEGORIES_CACHE_MS, SubscriptionService } from '../../../../src/channels/newsletter/subscriptions.js';
import { createTokenSigner } from '../../../../src/channels/newsletter/tokens.js';
import { createLogger, type Logger } from '../../../../src/logger.js';
import { ArticleStore } from '../../../../src/store/articles.js';
import type { Database } from '../../../../src/store/database.js';
import { DeliveryStore } from '../../../../src/store/deliveries.js';
import { SubscriberStore } from '../../../../src/store/subscribers.js';
import { databaseTargets } from '../../../helpers/database.js';
import { TEST_REDIS_URL } from '../../../helpers/redis.js';
import { articleRecord, minutesAfter, T0 } from '../../store/article-records.js';

const KNOWN = 'known@example.test';

/** Decides like the real service would, and records every call. */
class FakeSubscriptions implements SubscriptionHandlers {
  readonly calls: Array<{ method: string; args: unknown[] }> = [];
  categoryList = [
    { slug: 'politics', name: 'Politics' },
    { slug: 'food-drink', name: 'Food & Drink' },
  ];
  /** token → what confirm/unsubscribe do with it; anything else is invalid. */
  readonly tokens = new Map<string, { email: string; outcome: 'confirmed' | 'already' | 'expired' | 'legacy-invalid' }>();

  calledWith(method: string): unknown[][] {
    return this.calls.filter((c) => c.method === method).map((c) => c.args);
  }

  async categories() {
    this.calls.push({ method: 'categories', args: [] });
    return this.categoryList;
  }

  async subscribe(input: unknown, meta: { ip: string }) {
    this.calls.push({ method: 'subscribe', args: [input, meta] });
    const { email, frequency } = (input ?? {}) as Record<string, unknown>;
    const problems: ErrorDetail[] = [];
    if (typeof email !== 'string' || !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email))
      problems.push({ field: 'email', message: 'must be an email address' });
    if (frequency !== undefined && !['immediate', 'daily', 'weekly'].includes(String(frequency))) {
      problems.push({ field: 'frequency', message: 'must be immediate, daily or weekly' });
    }
    if (problems.length > 0) throw new AppError('SUBSCRIPTION_INVALID', 'invalid subscription', problems);
    // A known address takes another path inside (resend or nothing); the answer must not show it.
    if (email === KNOWN) this.calls.push({ method: 'known-address', args: [email] });
  }

  private lookUp(token: string) {
    const entry = this.tokens.get(token);
    if (!entry) throw new AppError('SUBSCRIPTION_TOKEN_INVALID', 'invalid token');
    if (entry.outcome === 'expired') throw new AppError('TOKEN_EXPIRED', 'token expired');
    if (entry.outcome === 'legacy-invalid') throw new AppError('TOKEN_INVALID', 'invalid token');
    return entry;
  }

  async confirm(token: string) {
    this.calls.push({ method: 'confirm', args: [token] });
    return this.lookUp(token).outcome === 'already' ? ('already' as const) : ('confirmed' as const);
  }

  async confirmTarget(token: string) {
    this.calls.push({ method: 'confirmTarget', args: [token] });
    const entry = this.lookUp(token);
    return { email: entry.email, status: entry.outcome === 'already' ? ('confirmed' as const) : ('pending' as const) };
  }

  async unsubscribeTarget(token: string) {
    this.calls.push({ method: 'unsubscribeTarget', args: [token] });
    return { email: this.lookUp(token).email };
  }

  async unsubscribe(token: string) {
    this.calls.push({ method: 'unsubscribe', args: [token] });
    this.lookUp(token);
  }
}

function unused<T extends object>(name: string): T {
  return new Proxy({} as T, {
    get(_target, property) {
      if (property === 'then') return undefined;
      throw new Error(`${name}.${String(property)} is not part of this test`);
    },
  });
}

const apps: FastifyInstance[] = [];
afterAll(async () => {
  await Promise.all(apps.map((app) => app.close()));
});

/** The app with the newsletter's routes over fake handlers (`subscriptions: undefined`: without them). */
async function build(
  overrides: { subscriptions?: SubscriptionHandlers | undefined; subscribeRateLimit?: SubscribeRateLimit; logger?: Logger } = {},
) {
  const handlers = new FakeSubscriptions();
  const subscriptions = 'subscriptions' in overrides ? overrides.subscriptions : handlers;
  const rateLimit = overrides.subscribeRateLimit ?? { max: 1000, timeWindowMs: 60_000 };
  const site = { title: 'The Harbour <Times>', url: 'https://news.test/', language: 'en-AU' };
  const app = await buildApp({
    logger: overrides.logger ?? createLogger('silent'),
    publisherToken: 'test-publisher-token-0123456789',
    publicBaseUrl: 'https://news.test',
    articles: unused('articles'),
    channels: subscriptions
      ? [{ routes: async (app) => app.register(subscriptionRoutes, { handlers: subscriptions, site, rateLimit }) }]
      : [],
    health: unused('health'),
    preview: unused('preview'),
    media: unused('media'),
  });
  apps.push(app);
  return { app, handlers };
}

function page(html: string) {
  const document = parseDocument(html);
  const elements = DomUtils.findAll(() => true, document.children);
  const named = (name: string) => elements.filter((e) => e.name === name);
  const byId = (id: string) => elements.find((e) => e.attribs.id === id);
  return { elements, named, byId, text: DomUtils.textContent(document).replace(/\s+/g, ' ') };
}

/** Every control labelled, a lang and a title, nothing scripted, readable on a phone. */
function expectUsablePage(html: string) {
  const { named, elements } = page(html);
  expect(html.startsWith('<!doctype html>')).toBe(true);
  expect(named('html')[0]?.attribs.lang).toBe('en-AU');
  expect(DomUtils.textContent(named('title')[0]!).trim()).not.toBe('');
  expect(named('script')).toEqual([]);
  expect(elements.some((e) => Object.keys(e.attribs).some((a) => a.startsWith('on')))).toBe(false);
  expect(named('meta').some((m) => m.attribs.name === 'viewport')).toBe(true);
  const labels = named('label');
  for (const input of named('input').filter((i) => !['hidden', 'submit'].includes(i.attribs.type ?? ''))) {
    const label = labels.find((l) => l.attribs.for === input.attribs.id);
    expect(label, `label for ${input.attribs.name}`).toBeDefined();
    expect(DomUtils.textContent(label!).trim()).not.toBe('');
  }
}

function expectPageHeaders(response: LightMyRequestResponse) {
  expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
  expect(response.headers['content-security-policy']).toBe(
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  );
  expect(response.headers['x-content-type-options']).toBe('nosniff');
  expect(response.headers['referrer-policy']).toBe('no-referrer');
  expect(response.headers['cache-control']).toBe('no-store');
}

const form = (fields: Array<[string, string]>) => new URLSearchParams(fields).toString();
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const JSON_TYPE = { 'content-type': 'application/json' };
const uniqueIp = () => `10.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250) + 1}`;

describe('GET /subscribe', () => {
  it('is a usable HTML form with an email field, frequencies and categories, without JavaScript', async () => {
    const { app } = await build();
    const response = await app.inject({ method: 'GET', url: '/subscribe' });
    expect(response.statusCode).toBe(200);
    expectPageHeaders(response);
    expectUsablePage(response.body);
    const { named, byId } = page(response.body);
    const forms = named('form');
    expect(forms).toHaveLength(1);
    expect(forms[0]!.attribs).toMatchObject({ method: 'post', action: '/subscribe' });
    expect(byId('email')!.attribs).toMatchObject({ type: 'email', name: 'email', autocomplete: 'email' });
    expect(byId('email')!.attribs).toHaveProperty('required');
    const radios = named('input').filter((i) => i.attribs.type === 'radio');
    expect(radios.map((r) => r.attribs.value)).toEqual(['immediate', 'daily', 'weekly']);
    expect(radios.filter((r) => 'checked' in r.attribs).map((r) => r.attribs.value)).toEqual(['immediate']);
    const frequencyFieldset = named('fieldset').find((f) => DomUtils.findOne((e) => e.attribs.type === 'radio', f.children));
    expect(frequencyFieldset && DomUtils.findOne((e) => e.name === 'legend', frequencyFieldset.children)).toBeTruthy();
    const boxes = named('input').filter((i) => i.attribs.type === 'checkbox');
    expect(boxes.map((b) => [b.attribs.name, b.attribs.value])).toEqual([
      ['categories', 'politics'],
      ['categories', 'food-drink'],
    ]);
    expect(byId('name')!.attribs.name).toBe('name');
    expect(named('button').filter((b) => b.attribs.type === 'submit')).toHaveLength(1);
    expect(page(response.body).text).toMatch(/unsubscribe/i);
  });

  it('leaves out the categories when there are none', async () => {
    const { app, handlers } = await build();
    handlers.categoryList = [];
    const response = await app.inject({ method: 'GET', url: '/subscribe' });
    expectUsablePage(response.body);
    expect(
      page(response.body)
        .named('input')
        .filter((i) => i.attribs.type === 'checkbox'),
    ).toEqual([]);
    expect(page(response.body).named('fieldset')).toHaveLength(1);
  });

  it('escapes category names and slugs and the site title', async () => {
    const { app, handlers } = await build();
    handlers.categoryList = [{ slug: 'x"><script>alert(1)</script>', name: '<img src=x onerror=alert(1)>' }];
    const response = await app.inject({ method: 'GET', url: '/subscribe' });
    expect(response.body).not.toContain('<img');
    expect(response.body).not.toContain('<script');
    expect(response.body).not.toContain('<Times>');
    expectUsablePage(response.body);
    const { named } = page(response.body);
    const box = named('input').find((i) => i.attribs.type === 'checkbox')!;
    expect(box.attribs.value).toBe('x"><script>alert(1)</script>');
    expect(DomUtils.textContent(named('label').find((l) => l.attribs.for === box.attribs.id)!)).toBe('<img src=x onerror=alert(1)>');
    expect(DomUtils.textContent(named('title')[0]!)).toContain('The Harbour <Times>');
  });
});

describe('POST /subscribe', () => {
  it('takes a form post and answers 202 with a "check your inbox" page', async () => {
    const { app, handlers } = await build();
    const ip = uniqueIp();
    const response = await app.inject({
      method: 'POST',
      url: '/subscribe',
      headers: FORM,
      remoteAddress: ip,
      payload: form([
        ['email', 'reader@example.test'],
        ['name', 'Ann Reader'],
        ['frequency', 'daily'],
        ['categories', 'politics'],
        ['categories', 'food-drink'],
      ]),
    });
    expect(response.statusCode).toBe(202);
    expectPageHeaders(response);
    expectUsablePage(response.body);
    expect(page(response.body).text).toMatch(/check your inbox/i);
    expect(handlers.calledWith('subscribe')).toEqual([
      [{ email: 'reader@example.test', name: 'Ann Reader', frequency: 'daily', categories: ['politics', 'food-drink'] }, { ip }],
    ]);
  });

  it('passes one ticked category as a list, and leaves out an empty name', async () => {
    const { app, handlers } = await build();
    await app.inject({
      method: 'POST',
      url: '/subscribe',
      headers: FORM,
      payload: form([
        ['email', 'reader@example.test'],
        ['name', ''],
        ['frequency', 'immediate'],
        ['categories', 'politics'],
      ]),
    });
    expect(handlers.calledWith('subscribe')[0]![0]).toEqual({
      email: 'reader@example.test',
      frequency: 'immediate',
      categories: ['politics'],
    });
  });

  it('takes JSON and answers 202 {status: "accepted", message}', async () => {
    const { app, handlers } = await build();
    const body = { email: 'reader@example.test', frequency: 'weekly', categories: ['politics'] };
    const response = await app.inject({ method: 'POST', url: '/subscribe', headers: JSON_TYPE, payload: body });
    expect(response.statusCode).toBe(202);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.json()).toEqual({ status: 'accepted', message: expect.stringMatching(/check your inbox/i) });
    expect(handlers.calledWith('subscribe')[0]![0]).toEqual(body);
  });

  it('answers JSON to a form post that asks for JSON', async () => {
    const { app } = await build();
    const response = await app.inject({
      method: 'POST',
      url: '/subscribe',
      headers: { ...FORM, accept: 'application/json' },
      payload: form([['email', 'reader@example.test']]),
    });
    expect(response.statusCode).toBe(202);
    expect(response.json().status).toBe('accepted');
  });

  it('answers a known and an unknown address with the same bytes', async () => {
    const { app, handlers } = await build();
    const send = (email: string, json: boolean) =>
      app.inject({
        method: 'POST',
        url: '/subscribe',
        headers: json ? JSON_TYPE : FORM,
        payload: json
          ? { email, frequency: 'immediate' }
          : form([
              ['email', email],
              ['frequency', 'immediate'],
            ]),
      });
    for (const json of [true, false]) {
      const known = await send(KNOWN, json);
      const unknown = await send('stranger@example.test', json);
      expect(known.statusCode).toBe(202);
      expect(unknown.statusCode).toBe(known.statusCode);
      expect(unknown.headers['content-type']).toBe(known.headers['content-type']);
      expect(unknown.rawPayload.equals(known.rawPayload)).toBe(true);
    }
    // The fake really did tell them apart: the sameness is the routes', not the fake's.
    expect(handlers.calledWith('known-address')).toHaveLength(2);
  });

  it('answers bad JSON input with 400 SUBSCRIPTION_INVALID naming the fields', async () => {
    const { app } = await build();
    const response = await app.inject({
      method: 'POST',
      url: '/subscribe',
      headers: JSON_TYPE,
      payload: { email: 'nope', frequency: 'hourly' },
    });
    expect(response.statusCode).toBe(400);
    const { error } = response.json();
    expect(error.code).toBe('SUBSCRIPTION_INVALID');
    expect(error.details.map((d: ErrorDetail) => d.field)).toEqual(['email', 'frequency']);
  });

  it('answers malformed JSON with 400 BODY_INVALID', async () => {
    const { app, handlers } = await build();
    const response = await app.inject({ method: 'POST', url: '/subscribe', headers: JSON_TYPE, payload: '{"email": ' });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.code).toBe('BODY_INVALID');
    expect(handlers.calledWith('subscribe')).toEqual([]);
  });

  it('repeats the form with the message next to the field and the values kept, escaped', async () => {
    const { app } = await build();
    const hostileName = '"><script>alert(1)</script>';
    const response = await app.inject({
      method: 'POST',
      url: '/subscribe',
      headers: FORM,
      payload: form([
        ['email', 'not-an-address<b>'],
        ['name', hostileName],
        ['frequency', 'weekly'],
        ['categories', 'food-drink'],
      ]),
    });
    expect(response.statusCode).toBe(400);
    expectPageHeaders(response);
    expectUsablePage(response.body);
    expect(response.body).not.toContain('<script');
    expect(response.body).not.toContain('<b>');
    const { byId, named } = page(response.body);
    const email = byId('email')!;
    expect(email.attribs.value).toBe('not-an-address<b>');
    expect(email.attribs['aria-invalid']).toBe('true');
    expect(DomUtils.textContent(byId(email.attribs['aria-describedby']!)!)).toBe('must be an email address');
    expect(byId('name')!.attribs.value).toBe(hostileName);
    expect(byId('name')!.attribs['aria-invalid']).toBeUndefined();
    expect(
      named('input')
        .filter((i) => 'checked' in i.attribs)
        .map((i) => i.attribs.value),
    ).toEqual(['weekly', 'food-drink']);
    const alert = named('div').find((d) => d.attribs.role === 'alert')!;
    expect(DomUtils.textContent(alert)).toContain('must be an email address');
  });

  it('shows a message for a bad frequency on its fieldset', async () => {
    const { app } = await build();
    const response = await app.inject({
      method: 'POST',
      url: '/subscribe',
      headers: FORM,
      payload: form([
        ['email', 'reader@example.test'],
        ['frequency', 'hourly'],
      ]),
    });
    expect(response.statusCode).toBe(400);
    const { named, byId } = page(response.body);
    const fieldset = named('fieldset').find((f) => f.attribs['aria-describedby'] === 'frequency-error');
    expect(fieldset).toBeDefined();
    expect(DomUtils.textContent(byId('frequency-error')!)).toBe('must be immediate, daily or weekly');
  });

  it('refuses other content types with 415 before calling the handler', async () => {
    const { app, handlers } = await build();
    for (const type of ['text/plain', 'application/xml', 'multipart/form-data; boundary=x']) {
      const response = await app.inject({
        method: 'POST',
        url: '/subscribe',
        headers: { 'content-type': type },
        payload: 'email=a@b.test',
      });
      expect(response.statusCode, type).toBe(415);
      expect(response.json().error.code).toBe('CONTENT_TYPE_UNSUPPORTED');
    }
    expect(handlers.calledWith('subscribe')).toEqual([]);
  });
});

describe('rate limit on POST /subscribe', () => {
  it('answers 429 RATE_LIMITED with Retry-After past the limit, per IP, and only on sign-ups', async () => {
    const { app, handlers } = await build({ subscribeRateLimit: { max: 2, timeWindowMs: 60_000 } });
    const ip = uniqueIp();
    const post = (remoteAddress: string) =>
      app.inject({ method: 'POST', url: '/subscribe', headers: JSON_TYPE, remoteAddress, payload: { email: 'reader@example.test' } });
    expect((await post(ip)).statusCode).toBe(202);
    expect((await post(ip)).statusCode).toBe(202);
    const limited = await post(ip);
    expect(limited.statusCode).toBe(429);
    expect(limited.json().error.code).toBe('RATE_LIMITED');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(handlers.calledWith('subscribe')).toHaveLength(2);

    const page429 = await app.inject({
      method: 'POST',
      url: '/subscribe',
      headers: FORM,
      remoteAddress: ip,
      payload: form([['email', 'a@b.test']]),
    });
    expect(page429.statusCode).toBe(429);
    expectPageHeaders(page429);
    expectUsablePage(page429.body);
    expect(Number(page429.headers['retry-after'])).toBeGreaterThan(0);

    expect((await post(uniqueIp())).statusCode).toBe(202);
    expect((await app.inject({ method: 'GET', url: '/subscribe', remoteAddress: ip })).statusCode).toBe(200);
  });

  describe('with Redis', () => {
    const redises: Redis[] = [];
    const ip = `192.0.2.${Math.floor(Math.random() * 250) + 1}`;
    afterEach(async () => {
      const cleaner = new Redis(TEST_REDIS_URL);
      const keys = await cleaner.keys(`syndicate:rate-limit:*-${ip}`);
      if (keys.length > 0) await cleaner.del(...keys);
      cleaner.disconnect();
      for (const redis of redises) redis.disconnect();
    });

    it('shares the count between API processes', async () => {
      const limit = () => {
        const redis = new Redis(TEST_REDIS_URL);
        redises.push(redis);
        return { subscribeRateLimit: { max: 2, timeWindowMs: 60_000, redis } };
      };
      const first = (await build(limit())).app;
      const second = (await build(limit())).app;
      const post = (app: FastifyInstance) =>
        app.inject({ method: 'POST', url: '/subscribe', headers: JSON_TYPE, remoteAddress: ip, payload: { email: 'reader@example.test' } });
      expect((await post(first)).statusCode).toBe(202);
      expect((await post(second)).statusCode).toBe(202);
      expect((await post(first)).statusCode).toBe(429);
      expect((await post(second)).statusCode).toBe(429);
    });
  });
});

describe('/confirm/:token', () => {
  async function withTokens(email = 'a@b.test') {
    const built = await build();
    built.handlers.tokens.set('tok-new', { email, outcome: 'confirmed' });
    built.handlers.tokens.set('tok-already', { email, outcome: 'already' });
    built.handlers.tokens.set('tok-expired', { email, outcome: 'expired' });
    built.handlers.tokens.set('tok-legacy', { email, outcome: 'legacy-invalid' });
    return built;
  }

  it('GET shows the address and one button posting to the same URL, and confirms nobody (mail scanners follow links)', async () => {
    const { app, handlers } = await withTokens('"<script>alert(1)</script>"@example.test');
    const response = await app.inject({ method: 'GET', url: '/confirm/tok-new' });
    expect(response.statusCode).toBe(200);
    expectPageHeaders(response);
    expectUsablePage(response.body);
    expect(response.body).not.toContain('<script');
    const { named, text } = page(response.body);
    expect(text).toContain('"<script>alert(1)</script>"@example.test');
    const forms = named('form');
    expect(forms).toHaveLength(1);
    expect(forms[0]!.attribs).toMatchObject({ method: 'post', action: '/confirm/tok-new' });
    expect(named('button')).toHaveLength(1);
    expect(handlers.calledWith('confirm')).toEqual([]);
    expect(handlers.calledWith('confirmTarget')).toEqual([['tok-new']]);
  });

  it('GET says so when the address is confirmed already, without a button', async () => {
    const { app, handlers } = await withTokens();
    const response = await app.inject({ method: 'GET', url: '/confirm/tok-already' });
    expect(response.statusCode).toBe(200);
    expectUsablePage(response.body);
    expect(page(response.body).text).toMatch(/already confirmed/i);
    expect(page(response.body).named('form')).toEqual([]);
    expect(handlers.calledWith('confirm')).toEqual([]);
  });

  it('GET answers JSON when asked, confirming nobody', async () => {
    const { app, handlers } = await withTokens();
    const pending = await app.inject({ method: 'GET', url: '/confirm/tok-new', headers: { accept: 'application/json' } });
    expect(pending.json()).toEqual({ email: 'a@b.test', status: 'pending' });
    const already = await app.inject({ method: 'GET', url: '/confirm/tok-already', headers: { accept: 'application/json' } });
    expect(already.json()).toEqual({ email: 'a@b.test', status: 'confirmed' });
    expect(handlers.calledWith('confirm')).toEqual([]);
  });

  it.each([
    ["the page's form (urlencoded, empty)", FORM, ''],
    ['no body', {}, undefined],
    ['text/plain', { 'content-type': 'text/plain' }, 'anything'],
  ] as Array<[string, Record<string, string>, string | undefined]>)(
    'POST with %s confirms with a 200 page, also when already confirmed',
    async (_name, headers, payload) => {
      const { app, handlers } = await withTokens();
      for (const token of ['tok-new', 'tok-already']) {
        const response = await app.inject({
          method: 'POST',
          url: `/confirm/${token}`,
          headers,
          ...(payload === undefined ? {} : { payload }),
        });
        expect(response.statusCode).toBe(200);
        expectPageHeaders(response);
        expectUsablePage(response.body);
        expect(page(response.body).text).toMatch(/confirmed/i);
      }
      expect(handlers.calledWith('confirm')).toEqual([['tok-new'], ['tok-already']]);
    },
  );

  it('POST answers JSON when asked', async () => {
    const { app } = await withTokens();
    const response = await app.inject({ method: 'POST', url: '/confirm/tok-already', headers: { accept: 'application/json' } });
    expect(response.json()).toEqual({ status: 'already' });
  });

  it.each(['GET', 'POST'] as const)(
    '%s answers an invalid token with a 400 page, and an expired one with a 410 page linking to /subscribe',
    async (method) => {
      const { app, handlers } = await withTokens();
      for (const token of ['forged', 'tok-legacy']) {
        const invalid = await app.inject({ method, url: `/confirm/${token}` });
        expect(invalid.statusCode, token).toBe(400);
        expectPageHeaders(invalid);
        expectUsablePage(invalid.body);
        expect(page(invalid.body).text).toMatch(/not valid/i);
      }
      const expired = await app.inject({ method, url: '/confirm/tok-expired' });
      expect(expired.statusCode).toBe(410);
      expectPageHeaders(expired);
      expectUsablePage(expired.body);
      expect(page(expired.body).text).toMatch(/subscribe again/i);
      expect(
        page(expired.body)
          .named('a')
          .map((a) => a.attribs.href),
      ).toContain('/subscribe');
      if (method === 'GET') expect(handlers.calledWith('confirm')).toEqual([]);
    },
  );

  it.each(['GET', 'POST'] as const)('%s answers token errors in the catalogue format to JSON clients', async (method) => {
    const { app } = await withTokens();
    const accept = { accept: 'application/json' };
    const invalid = await app.inject({ method, url: '/confirm/tok-legacy', headers: accept });
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json().error.code).toBe('SUBSCRIPTION_TOKEN_INVALID');
    const expired = await app.inject({ method, url: '/confirm/tok-expired', headers: accept });
    expect(expired.statusCode).toBe(410);
    expect(expired.json().error.code).toBe('TOKEN_EXPIRED');
  });

  it('POST refuses an oversized body with 413', async () => {
    const { app, handlers } = await withTokens();
    const response = await app.inject({ method: 'POST', url: '/confirm/tok-new', headers: FORM, payload: 'x'.repeat(100 * 1024) });
    expect(response.statusCode).toBe(413);
    expect(handlers.calledWith('confirm')).toEqual([]);
  });
});

describe('/unsubscribe/:token', () => {
  const token = 'tok-unsubscribe';
  async function withToken(email = 'reader@example.test') {
    const built = await build();
    built.handlers.tokens.set(token, { email, outcome: 'confirmed' });
    built.handlers.tokens.set('tok-expired', { email, outcome: 'expired' });
    return built;
  }

  it('GET shows the address and one button posting One-Click to the same URL, and unsubscribes nobody', async () => {
    const { app, handlers } = await withToken('"<script>alert(1)</script>"@example.test');
    const response = await app.inject({ method: 'GET', url: `/unsubscribe/${token}` });
    expect(response.statusCode).toBe(200);
    expectPageHeaders(response);
    expectUsablePage(response.body);
    expect(response.body).not.toContain('<script');
    const { named, text } = page(response.body);
    expect(text).toContain('"<script>alert(1)</script>"@example.test');
    const forms = named('form');
    expect(forms).toHaveLength(1);
    expect(forms[0]!.attribs).toMatchObject({ method: 'post', action: `/unsubscribe/${token}` });
    const inputs = DomUtils.findAll((e) => e.name === 'input', forms[0]!.children);
    expect(inputs.map((i) => i.attribs)).toEqual([{ type: 'hidden', name: 'List-Unsubscribe', value: 'One-Click' }]);
    expect(named('button')).toHaveLength(1);
    expect(handlers.calledWith('unsubscribe')).toEqual([]);
    expect(handlers.calledWith('unsubscribeTarget')).toEqual([[token]]);
  });

  it('GET answers an invalid token with a 400 page', async () => {
    const { app, handlers } = await withToken();
    const response = await app.inject({ method: 'GET', url: '/unsubscribe/forged' });
    expect(response.statusCode).toBe(400);
    expectUsablePage(response.body);
    expect(handlers.calledWith('unsubscribe')).toEqual([]);
  });

  const multipartBoundary = `----syndicate${randomUUID()}`;
  const bodies: Array<[string, Record<string, string>, string | undefined]> = [
    ['urlencoded', FORM, 'List-Unsubscribe=One-Click'],
    [
      'multipart/form-data',
      { 'content-type': `multipart/form-data; boundary=${multipartBoundary}` },
      `--${multipartBoundary}\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\nOne-Click\r\n--${multipartBoundary}--\r\n`,
    ],
    ['an empty body', {}, undefined],
    ['text/plain', { 'content-type': 'text/plain' }, 'List-Unsubscribe=One-Click'],
    ['an unparsable JSON body', JSON_TYPE, '{'],
  ];

  it.each(bodies)('POST with %s unsubscribes once and answers 200', async (_name, headers, payload) => {
    const { app, handlers } = await withToken();
    const response = await app.inject({
      method: 'POST',
      url: `/unsubscribe/${token}`,
      headers,
      ...(payload === undefined ? {} : { payload }),
    });
    expect(response.statusCode).toBe(200);
    expect(handlers.calledWith('unsubscribe')).toEqual([[token]]);
    if (headers['content-type'] !== 'application/json') {
      expectPageHeaders(response);
      expectUsablePage(response.body);
      expect(page(response.body).text).toMatch(/you are unsubscribed/i);
    } else {
      expect(response.json()).toEqual({ status: 'unsubscribed' });
    }
  });

  it('POST answers an invalid token with 400 and TOKEN_EXPIRED with 410', async () => {
    const { app } = await withToken();
    const forged = await app.inject({ method: 'POST', url: '/unsubscribe/forged', headers: FORM, payload: 'List-Unsubscribe=One-Click' });
    expect(forged.statusCode).toBe(400);
    expectUsablePage(forged.body);
    const expired = await app.inject({ method: 'POST', url: '/unsubscribe/tok-expired', headers: { accept: 'application/json' } });
    expect(expired.statusCode).toBe(410);
    expect(expired.json().error.code).toBe('TOKEN_EXPIRED');
  });

  it('POST refuses an oversized body with 413', async () => {
    const { app, handlers } = await withToken();
    const response = await app.inject({ method: 'POST', url: `/unsubscribe/${token}`, headers: FORM, payload: 'x'.repeat(100 * 1024) });
    expect(response.statusCode).toBe(413);
    expect(handlers.calledWith('unsubscribe')).toEqual([]);
  });
});

describe('token length', () => {
  it('passes a 512-character token to the handlers', async () => {
    const { app, handlers } = await build();
    const token = 'a'.repeat(512);
    handlers.tokens.set(token, { email: 'a@b.test', outcome: 'confirmed' });
    expect((await app.inject({ method: 'GET', url: `/confirm/${token}` })).statusCode).toBe(200);
    expect((await app.inject({ method: 'POST', url: `/confirm/${token}` })).statusCode).toBe(200);
  });

  it.each([513, 2000])('refuses a %i-character token with 400 without calling the handlers', async (length) => {
    const { app, handlers } = await build();
    const token = 'a'.repeat(length);
    for (const [method, url] of [
      ['GET', `/confirm/${token}`],
      ['POST', `/confirm/${token}`],
      ['GET', `/unsubscribe/${token}`],
      ['POST', `/unsubscribe/${token}`],
    ] as const) {
      const response = await app.inject({ method, url });
      expect(response.statusCode, `${method} ${url.slice(0, 20)}`).toBe(400);
      expectUsablePage(response.body);
      const json = await app.inject({ method, url, headers: { accept: 'application/json' } });
      expect(json.json().error.code).toBe('SUBSCRIPTION_TOKEN_INVALID');
    }
    expect(handlers.calls.filter((c) => c.method !== 'categories')).toEqual([]);
  });
});

describe('without subscription handlers', () => {
  it('serves none of the routes', async () => {
    const { app } = await build({ subscriptions: undefined });
    expect((await app.inject({ method: 'GET', url: '/subscribe' })).statusCode).toBe(404);
  });
});

describe('logs of failing token routes', () => {
  it('never carry the confirm or unsubscribe token of a request that failed with a 5xx', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const broken = new FakeSubscriptions();
    broken.confirm =
      broken.confirmTarget =
      broken.unsubscribeTarget =
      broken.unsubscribe =
        async () => {
          throw new Error('the store fell over');
        };
    const { app } = await build({ subscriptions: broken, logger: createLogger('info', sink) });
    const token = 'c.c2VjcmV0LXN1YnNjcmliZXI.ZXhwaXJlcw.c2lnbmF0dXJlLW9mLXRoZS10b2tlbg';

    for (const [method, url] of [
      ['GET', `/confirm/${token}`],
      ['POST', `/confirm/${token}`],
      ['GET', `/unsubscribe/${token}?utm_source=mail`],
      ['POST', `/unsubscribe/${token}`],
    ] as const) {
      expect((await app.inject({ method, url })).statusCode, `${method} ${url}`).toBe(500);
    }

    const logged = lines.join('');
    expect(lines.length).toBeGreaterThanOrEqual(4);
    expect(logged).not.toContain(token);
    expect(logged).toContain('/confirm/[redacted]');
    expect(logged).toContain('/unsubscribe/[redacted]');
  });
});

describe('SubscriptionService categories (the sign-up form)', () => {
  const target = databaseTargets().find((t) => t.name === 'sqlite')!;
  const opened: Database[] = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((database) => database.close()));
  });

  /** The service over a real database, with every SQL statement the article store sends recorded. */
  async function service(now: { value: Date }) {
    const database = await target.open();
    opened.push(database);
    const statements: string[] = [];
    const recorder: KyselyPlugin = {
      transformQuery(args) {
        statements.push(database.db.getExecutor().compileQuery(args.node, args.queryId).sql);
        return args.node;
      },
      transformResult: async (args) => args.result,
    };
    const articles = new ArticleStore(database);
    const subscriptions = new SubscriptionService({
      subscribers: new SubscriberStore(database),
      deliveries: new DeliveryStore(database),
      articles: new ArticleStore({ ...database, db: database.db.withPlugin(recorder) }),
      tokens: createTokenSigner('test-secret-key-for-the-categories'),
      enqueueConfirmation: null,
      recordIp: false,
      now: () => now.value,
    });
    return { articles, subscriptions, statements };
  }

  const publishedWith = (id: string, minutes: number, categories: Array<{ name: string; slug: string }>) =>
    articleRecord(id, {
      state: 'published',
      publishedAt: minutesAfter(T0, minutes),
      categories,
      contentHtml: `<p>${'long body '.repeat(500)}</p>`,
    });

  it('offers the categories of published articles by name, each once, reading the category column alone', async () => {
    const { articles, subscriptions, statements } = await service({ value: T0 });
    await articles.insert(
      publishedWith('older', 1, [
        { name: 'Politics (old name)', slug: 'politics' },
        { name: 'Arts', slug: 'arts' },
      ]),
    );
    await articles.insert(
      publishedWith('newer', 2, [
        { name: 'Politics', slug: 'politics' },
        { name: 'Food & Drink', slug: 'food-drink' },
      ]),
    );
    await articles.insert(articleRecord('draft', { state: 'scheduled', categories: [{ name: 'Secret Plans', slug: 'secret-plans' }] }));

    expect(await subscriptions.categories()).toEqual([
      { slug: 'arts', name: 'Arts' },
      { slug: 'food-drink', name: 'Food & Drink' },
      { slug: 'politics', name: 'Politics' },
    ]);
    expect(statements.length).toBeGreaterThan(0);
    for (const statement of statements) {
      expect(statement).not.toMatch(/content_html|"articles"\.\*|select \*/i);
    }
  });

  it('reads them at most once a minute, however many times the form is shown', async () => {
    const now = { value: T0 };
    const { articles, subscriptions, statements } = await service(now);
    await articles.insert(publishedWith('first', 1, [{ name: 'Arts', slug: 'arts' }]));
    await subscriptions.categories();
    await articles.insert(publishedWith('second', 2, [{ name: 'Science', slug: 'science' }]));

    const shown = await Promise.all(Array.from({ length: 20 }, () => subscriptions.categories()));
    expect(shown.every((categories) => categories.map((c) => c.slug).join() === 'arts')).toBe(true);
    expect(statements).toHaveLength(1);

    now.value = new Date(T0.getTime() + CATEGORIES_CACHE_MS + 1);
    expect((await subscriptions.categories()).map((c) => c.slug)).toEqual(['arts', 'science']);
    expect(statements).toHaveLength(2);
  });
});
