/**
 * The publisher API refusing bad input: the right status and code, the field named, never a
 * 5xx, and the feeds still valid afterwards.
 * Real: Redis, SQLite, workers, Fastify (inject). Faked: nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readJsonFeed, readXmlFeed } from '../../helpers/feeds.js';
import { startTestSyndicate, type TestSyndicate } from '../../helpers/syndicate.js';
import { waitFor } from '../../helpers/wait.js';

let t: TestSyndicate;
beforeAll(async () => {
  t = await startTestSyndicate('http-articles', { env: { CHANNELS: 'feeds,newsletter' } });
});
afterAll(async () => {
  await t?.stop();
});

const base = { url: 'https://news.test/a', title: 'A title' };

function postRaw(payload: string | Buffer, headers: Record<string, string> = {}) {
  return t.app.inject({
    method: 'POST',
    url: '/api/articles',
    headers: { ...t.auth, 'content-type': 'application/json', ...headers },
    payload,
  });
}

describe('authentication', () => {
  it('answers 401 TOKEN_MISSING without a token', async () => {
    const response = await t.app.inject({ method: 'POST', url: '/api/articles', payload: base });
    expect(response.statusCode).toBe(401);
    expect(response.json().error.code).toBe('TOKEN_MISSING');
  });

  it('answers 401 TOKEN_INVALID for a wrong token, before reading the body', async () => {
    for (const authorization of ['Bearer wrong', 'Basic abc', 'Bearer', `Bearer ${'x'.repeat(5000)}`]) {
      const response = await t.app.inject({ method: 'POST', url: '/api/articles', headers: { authorization }, payload: base });
      expect(response.statusCode).toBe(401);
      expect(response.json().error.code).toBe('TOKEN_INVALID');
    }
    const big = await t.app.inject({
      method: 'POST',
      url: '/api/articles',
      headers: { authorization: 'Bearer wrong', 'content-type': 'application/json' },
      payload: 'x'.repeat(3 * 1024 * 1024),
    });
    expect(big.statusCode).toBe(401);
  });

  it('protects every publisher route', async () => {
    for (const [method, url] of [
      ['GET', '/api/articles'],
      ['GET', '/api/articles/x'],
      ['PUT', '/api/articles/x'],
      ['DELETE', '/api/articles/x'],
      ['POST', '/api/articles/x/retry'],
      ['POST', '/api/preview'],
    ] as const) {
      expect((await t.app.inject({ method, url })).statusCode).toBe(401);
    }
  });
});

describe('malformed requests', () => {
  it('answers 400 BODY_INVALID for malformed JSON', async () => {
    const response = await postRaw('{"url": "https://news.test/a", "title": ');
    expect(response.statusCode).toBe(400);
    expect(response.json().error.code).toBe('BODY_INVALID');
  });

  it('answers 400 for an empty body', async () => {
    const response = await postRaw('');
    expect(response.statusCode).toBe(400);
  });

  it('answers 413 BODY_TOO_LARGE over 2 MB', async () => {
    const response = await postRaw(JSON.stringify({ ...base, contentHtml: 'x'.repeat(2 * 1024 * 1024 + 10) }));
    expect(response.statusCode).toBe(413);
    expect(response.json().error.code).toBe('BODY_TOO_LARGE');
  });

  it('answers 415 CONTENT_TYPE_UNSUPPORTED for a non-JSON body', async () => {
    for (const type of ['text/plain', 'application/xml', 'application/x-www-form-urlencoded']) {
      const response = await postRaw('url=x', { 'content-type': type });
      expect(response.statusCode).toBe(415);
      expect(response.json().error.code).toBe('CONTENT_TYPE_UNSUPPORTED');
    }
  });

  it('answers 404 with JSON for unknown routes and articles', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/nope' })).json().error.code).toBe('NOT_FOUND');
    const missing = await t.app.inject({ method: 'GET', url: '/api/articles/no-such-article', headers: t.auth });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('ARTICLE_NOT_FOUND');
    const weird = await t.app.inject({ method: 'GET', url: '/api/articles/%F0%9F%98%80', headers: t.auth });
    expect(weird.statusCode).toBe(404);
  });

  it('refuses a PUT whose body id differs from the URL', async () => {
    const response = await t.app.inject({ method: 'PUT', url: '/api/articles/one', headers: t.auth, payload: { ...base, id: 'two' } });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.details[0].field).toBe('id');
  });

  it('answers 404 to a PUT of an unknown article', async () => {
    const response = await t.app.inject({ method: 'PUT', url: '/api/articles/unknown-one', headers: t.auth, payload: base });
    expect(response.statusCode).toBe(404);
  });
});

describe('invalid articles: 400 ARTICLE_INVALID naming the field', () => {
  const cases: Array<[string, unknown, string]> = [
    ['missing title', { url: base.url }, 'title'],
    ['empty title', { ...base, title: '' }, 'title'],
    ['javascript: URL', { ...base, url: 'javascript:alert(1)' }, 'url'],
    ['relative URL', { ...base, url: '/news/a' }, 'url'],
    ['unknown field', { ...base, body: 'x' }, 'body'],
    ['title of the wrong type', { ...base, title: ['x'] }, 'title'],
    ['tags of the wrong type', { ...base, tags: 'a,b' }, 'tags'],
    ['publishedAt of the wrong type', { ...base, publishedAt: 1700000000 }, 'publishedAt'],
    ['authors of the wrong type', { ...base, authors: { name: 'A' } }, 'authors'],
    ['a JSON array', [base], '(body)'],
    ['a JSON string', 'hello', '(body)'],
  ];
  it.each(cases)('%s', async (_name, payload, field) => {
    const response = await postRaw(JSON.stringify(payload));
    expect(response.statusCode).toBe(400);
    const body = response.json();
    expect(body.error.code).toBe('ARTICLE_INVALID');
    expect(body.error.details.map((d: { field: string }) => d.field)).toContain(field);
  });
});

describe('hostile but valid text stays safe in every feed', () => {
  const hostile = [
    { id: 'cdata', title: 'Ends a CDATA ]]> section', contentHtml: '<p>]]><![CDATA[ nested ]]></p>' },
    { id: 'control', title: 'Bell \u0007 and form feed \u000c here', contentHtml: '<p>null \u0000 byte</p>' },
    { id: 'markup', title: 'Fish & <chips> "quoted" \'single\'', categories: ['Food & Drink', '<Local>', 'A "B"'] },
    { id: 'emoji', title: 'Family 👩‍👩‍👧‍👦 and flags 🇦🇫🇷🇺🇺🇸', tags: ['😀'] },
    { id: 'rtl-cjk', title: 'روسيا تقول إنها لا تجري محادثات 俄罗斯表示 러시아', categories: ['الشرق الأوسط', '国际'] },
    {
      id: 'script',
      title: '<script>alert(1)</script>',
      contentHtml:
        '<p onmouseover="alert(1)">x</p><img src=x onerror=alert(1)><script>document.cookie</script><a href="javascript:void(0)">y</a>',
    },
  ];

  it('accepts each one without a 5xx', async () => {
    for (const article of hostile) {
      const response = await postRaw(JSON.stringify({ url: `https://news.test/${article.id}`, ...article }));
      expect(response.statusCode, article.id).toBe(202);
    }
  });

  it('keeps RSS, Atom and JSON Feed valid and the text intact', async () => {
    const rss = await waitFor(
      async () => {
        const body = (await t.app.inject({ method: 'GET', url: '/feed.xml' })).body;
        return hostile.every((a) => body.includes(`<guid isPermaLink="false">${a.id}</guid>`)) ? body : false;
      },
      8000,
      'all hostile articles in the feed',
    );
    const parsed = readXmlFeed(rss);
    const titles = parsed.items.map((item) => item.title);
    expect(titles).toContain('Fish & <chips> "quoted" \'single\'');
    expect(titles).toContain('Ends a CDATA ]]> section');
    expect(titles).toContain('Bell and form feed here');
    expect(titles).toContain('Family 👩‍👩‍👧‍👦 and flags 🇦🇫🇷🇺🇺🇸');
    const scriptItem = parsed.items.find((item) => item.id === 'script');
    expect(scriptItem?.content ?? '').not.toMatch(/onerror|onmouseover|<script|javascript:/i);

    const atom = readXmlFeed((await t.app.inject({ method: 'GET', url: '/atom.xml' })).body);
    expect(atom.items.map((item) => item.title)).toContain('روسيا تقول إنها لا تجري محادثات 俄罗斯表示 러시아');
    const json = readJsonFeed((await t.app.inject({ method: 'GET', url: '/feed.json' })).body);
    expect(json.items.map((item) => item.title)).toContain('<script>alert(1)</script>');

    // Category feeds are rendered (and announced) after the site feeds.
    for (const slug of ['food-drink', 'local', 'a-b', '国际']) {
      const response = await waitFor(
        async () => {
          const answer = await t.app.inject({ method: 'GET', url: `/categories/${encodeURIComponent(slug)}/feed.xml` });
          return answer.statusCode === 200 ? answer : false;
        },
        8000,
        `the ${slug} feed`,
      );
      readXmlFeed(response.body);
    }
  });
});

describe('articles that arrive together (stored in one transaction)', () => {
  it('stores and enqueues each of many concurrent POSTs, answering 202 to each', async () => {
    const ids = Array.from({ length: 30 }, (_, i) => `together-${i}`);
    const responses = await Promise.all(ids.map((id) => postRaw(JSON.stringify({ ...base, id, url: `https://news.test/${id}` }))));
    expect(responses.map((response) => response.statusCode)).toEqual(ids.map(() => 202));
    for (const id of ids) {
      expect((await t.syndicate.articles.get(id))?.revision, id).toBe(1);
      expect(await t.syndicate.queues.publish.getJob(`publish-${id}`), id).toBeDefined();
    }
  });

  it('creates an article POSTed several times at once only once; the others are unchanged', async () => {
    const payload = JSON.stringify({ ...base, id: 'same-at-once', url: 'https://news.test/same-at-once' });
    const responses = await Promise.all(Array.from({ length: 5 }, () => postRaw(payload)));
    const results = responses.map((response) => response.json().result as string).sort();
    expect(results).toEqual(['created', 'unchanged', 'unchanged', 'unchanged', 'unchanged']);
    expect((await t.syndicate.articles.get('same-at-once'))?.revision).toBe(1);
  });

  it('answers each POST of a batch on its own: a retracted id refused, the article beside it stored', async () => {
    const retracted = { ...base, id: 'batch-retracted', url: 'https://news.test/batch-retracted' };
    expect((await postRaw(JSON.stringify(retracted))).statusCode).toBe(202);
    await t.syndicate.service.retract('batch-retracted');
    const [again, fresh] = await Promise.all([
      postRaw(JSON.stringify(retracted)),
      postRaw(JSON.stringify({ ...base, id: 'batch-fresh', url: 'https://news.test/batch-fresh' })),
    ]);
    expect(again!.statusCode).toBe(409);
    expect(again!.json().error.code).toBe('ARTICLE_RETRACTED');
    expect(fresh!.statusCode).toBe(202);
  });
});

describe('preview', () => {
  it('renders the feed entry without storing anything', async () => {
    const response = await t.app.inject({ method: 'POST', url: '/api/preview', headers: t.auth, payload: { ...base, id: 'preview-only' } });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(readXmlFeed(body.feed.rss).items[0]?.title).toBe('A title');
    expect(readJsonFeed(body.feed.json).items[0]?.id).toBe('preview-only');
    // The newsletter email: subject, HTML with the unsubscribe link, the same content as text.
    expect(body.email.subject).toBe('A title');
    expect(body.email.html).toContain('/unsubscribe/');
    expect(body.email.html).toContain('A title');
    expect(body.email.text).toContain('/unsubscribe/');
    expect((await t.app.inject({ method: 'GET', url: '/api/articles/preview-only', headers: t.auth })).statusCode).toBe(404);
  });

  it('refuses invalid input with 400', async () => {
    const response = await t.app.inject({ method: 'POST', url: '/api/preview', headers: t.auth, payload: { url: 'x' } });
    expect(response.statusCode).toBe(400);
  });
});

describe('health', () => {
  it('is live and ready when Redis and the database answer', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    const ready = await t.app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toMatchObject({ redis: 'ok', database: 'ok' });
  });
});
