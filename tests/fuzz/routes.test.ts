/**
 * Generated requests (fast-check) against every public and publisher route: bodies, headers,
 * paths and methods a stranger or a broken client could send. Whatever comes in: never a 5xx,
 * never a hang, errors in our shape, no stack trace or source path in any answer.
 * Real: Redis, SQLite, Fastify (inject; the fast path over a socket), newsletter routes with the
 * outbox. No workers: the routes are under test, not delivery. Time-bounded (~25 s).
 */
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../src/errors.js';
import { PUBLISHER_TOKEN, startTestSyndicate, type TestSyndicate } from '../helpers/syndicate.js';

let t: TestSyndicate;
let port: number;
beforeAll(async () => {
  t = await startTestSyndicate('fuzz-routes', {
    roles: [],
    // The sign-up limit would answer 429 before most bodies are even parsed.
    env: { CHANNELS: 'feeds,newsletter', SUBSCRIBE_RATE_LIMIT: '100000' },
  });
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  port = (t.app.server.address() as AddressInfo).port;
  await t.syndicate.service.submit({ id: 'fuzz-known', url: 'https://news.test/fuzz-known', title: 'Known', categories: ['Desk'] });
});
afterAll(async () => {
  await t?.stop();
});

/** Requests sent at once in each run. */
const BATCH = 8;
/** A request that takes longer than this counts as a hang. */
const HANG_MS = 5000;

// ---- generators ----------------------------------------------------------------------------

const printable = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)), maxLength: 60 });
const anyText = fc.oneof(
  fc.string({ maxLength: 60 }),
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
);

/** A path segment as it would appear in a URL: encoded text, raw oddities, or very long. */
const segment = fc.oneof(
  { weight: 4, arbitrary: anyText.map((text) => encodeURIComponent(text.toWellFormed())) },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      '',
      '%',
      '%ZZ',
      '%2F',
      '%2f%2F',
      '%00',
      '%C0%AF',
      '%E0%A4%A',
      '%F0%9F%98%80',
      '..',
      '.',
      '%2e%2e',
      ';',
      '%3B',
      '*',
      '~',
      'feed.xml',
      'fuzz-known',
      'desk',
      'DESK',
      'source.jpg',
      'x.png',
    ),
  },
  { weight: 1, arbitrary: fc.integer({ min: 150, max: 3000 }).map((length) => 'a'.repeat(length)) },
  { weight: 1, arbitrary: fc.integer({ min: 50, max: 700 }).map((length) => '%E5%9B%BD'.repeat(length)) },
);

const query = fc.option(
  fc
    .array(fc.tuple(fc.constantFrom('limit', 'cursor', 'channel', 'utm_source', 'a[b]', '__proto__', ''), segment), { maxLength: 3 })
    .map((pairs) => pairs.map(([key, value]) => `${key}=${value}`).join('&')),
  { nil: undefined },
);

const FEED_FILES = ['feed.xml', 'atom.xml', 'feed.json'];

/** Paths shaped like each route, with generated parameters, plus arbitrary ones. */
const path = fc
  .tuple(
    fc.oneof(
      fc.constantFrom('/feed.xml', '/atom.xml', '/feed.json', '/healthz', '/readyz', '/subscribe', '/api/articles', '/api/preview', '/'),
      fc.tuple(segment, fc.constantFrom(...FEED_FILES)).map(([slug, file]) => `/categories/${slug}/${file}`),
      segment.map((token) => `/confirm/${token}`),
      segment.map((token) => `/unsubscribe/${token}`),
      fc.tuple(segment, segment).map(([id, file]) => `/media/${id}/${file}`),
      segment.map((id) => `/api/articles/${id}`),
      segment.map((id) => `/api/articles/${id}/retry`),
      fc.array(segment, { minLength: 1, maxLength: 4 }).map((parts) => `/${parts.join('/')}`),
    ),
    query,
  )
  .map(([base, search]) => (search === undefined ? base : `${base}?${search}`));

const method = fc.constantFrom('GET', 'GET', 'HEAD', 'POST', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS');

/** Article-shaped JSON with generated values in every field, valid or not. */
const articleLike = fc.record(
  {
    url: fc.oneof(fc.webUrl(), anyText, fc.constant('javascript:alert(1)')),
    title: fc.oneof(anyText, fc.string({ maxLength: 600 }), fc.constant('')),
    id: fc.oneof(fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,20}$/), anyText),
    summary: anyText,
    contentHtml: fc.oneof(
      anyText,
      fc.constantFrom(
        '<p>a</p>',
        '<b>'.repeat(150),
        '<script>x</script>',
        ']]>',
        '<img src=x onerror=alert(1)>',
        '<a href="javascript:x">x</a>',
      ),
      fc.integer({ min: 0, max: 400 }).map((n) => `${'<div>'.repeat(n)}x${'</div>'.repeat(n)}`),
    ),
    authors: fc.array(
      fc.record({ name: anyText, email: fc.option(anyText, { nil: undefined }), url: fc.option(anyText, { nil: undefined }) }),
      {
        maxLength: 3,
      },
    ),
    categories: fc.array(anyText, { maxLength: 5 }),
    tags: fc.array(anyText, { maxLength: 5 }),
    image: fc.option(fc.record({ url: fc.oneof(fc.webUrl(), anyText), alt: anyText }), { nil: undefined }),
    publishedAt: fc.oneof(
      fc.date({ noInvalidDate: true }).map((date) => date.toISOString()),
      anyText,
      fc.constant('2024-02-30'),
    ),
    channels: fc.dictionary(
      fc.constantFrom('x', 'facebook', 'newsletter', 'feeds', 'nope'),
      fc.oneof(fc.boolean(), fc.record({ text: anyText })),
    ),
    unexpected: fc.jsonValue(),
  },
  { requiredKeys: [] },
);

const subscriptionLike = fc.record(
  {
    email: fc.oneof(fc.emailAddress(), anyText, fc.constant('x@127.0.0.1')),
    frequency: fc.oneof(fc.constantFrom('immediate', 'daily', 'weekly'), anyText),
    categories: fc.oneof(fc.array(anyText, { maxLength: 4 }), anyText),
    name: anyText,
  },
  { requiredKeys: [] },
);

const formEncoded = fc
  .dictionary(fc.oneof(fc.constantFrom('email', 'frequency', 'categories', 'name', 'List-Unsubscribe'), anyText), anyText, { maxKeys: 5 })
  .map((fields) => new URLSearchParams(fields).toString());

/** A body and the content type it is sent with (sometimes a lying one). */
const body = fc.oneof(
  { weight: 3, arbitrary: articleLike.map((value) => ({ type: 'application/json', payload: JSON.stringify(value) })) },
  { weight: 2, arbitrary: subscriptionLike.map((value) => ({ type: 'application/json', payload: JSON.stringify(value) })) },
  { weight: 1, arbitrary: formEncoded.map((payload) => ({ type: 'application/x-www-form-urlencoded', payload })) },
  { weight: 1, arbitrary: fc.jsonValue().map((value) => ({ type: 'application/json', payload: JSON.stringify(value) ?? 'null' })) },
  {
    weight: 2,
    arbitrary: fc.record({
      type: fc.oneof(
        fc.constantFrom(
          'application/json',
          'application/json; charset=utf-16',
          'text/plain',
          'application/x-www-form-urlencoded',
          'multipart/form-data; boundary=x',
          'message/rfc822',
          'application/octet-stream',
          '',
        ),
        printable,
      ),
      payload: fc.oneof(
        anyText,
        fc.constantFrom('{', '{"a":', '[]', 'null', '"x"', '{"__proto__":{"x":1}}', '{"constructor":{"prototype":{}}}'),
      ),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.uint8Array({ maxLength: 2000 }).map((bytes) => ({ type: 'application/octet-stream', payload: Buffer.from(bytes) })),
  },
  { weight: 1, arbitrary: fc.constant(undefined) },
);

const headers = fc.record(
  {
    authorization: fc.oneof(
      fc.constant(`Bearer ${PUBLISHER_TOKEN}`),
      fc.constant(`Bearer ${PUBLISHER_TOKEN}`),
      printable,
      printable.map((value) => `Bearer ${value}`),
    ),
    accept: fc.oneof(fc.constantFrom('application/json', 'text/html', '*/*', 'application/json;q=0.5, text/html;q=abc'), printable),
    'accept-encoding': fc.oneof(fc.constantFrom('gzip', 'br', 'gzip;q=0, br;q=0', 'identity;q=0', '*'), printable),
    'if-none-match': fc.oneof(fc.constantFrom('*', '"x"', 'W/"x"', '"a", "b"'), printable),
    'if-modified-since': fc.oneof(
      fc.date({ noInvalidDate: true }).map((date) => date.toUTCString()),
      printable,
    ),
    'x-forwarded-for': fc.oneof(fc.ipV4(), fc.ipV6(), printable),
    'accept-language': printable,
  },
  { requiredKeys: [] },
);

// ---- checks --------------------------------------------------------------------------------

interface Answer {
  statusCode: number;
  headers: Record<string, unknown>;
  body: string;
}

const STACK_TRACE = /\n\s+at\s.+(?::\d+:\d+|\(native\))|node:internal|node_modules|\/src\/[\w/-]+\.[jt]s|\.ts:\d+/;

function check(answer: Answer, described: string, method: string, url: string): void {
  expect(answer.statusCode, `${described} → 5xx: ${answer.body.slice(0, 300)}`).toBeLessThan(500);
  if (method === 'HEAD') return; // no body to look at
  // A 404 may name the path asked for, which can look like anything.
  const ownWords = answer.body.split(url.split('?')[0]!).join('');
  expect(ownWords, `${described}: a stack trace or source path in the answer`).not.toMatch(STACK_TRACE);
  const type = String(answer.headers['content-type'] ?? '');
  if (answer.statusCode >= 400 && type.startsWith('application/json')) {
    const parsed = JSON.parse(answer.body) as { error?: { code?: unknown; message?: unknown; details?: unknown } };
    expect(Object.keys(parsed), `${described}: error shape`).toEqual(['error']);
    expect(Object.keys(ERROR_CODES), `${described}: code ${String(parsed.error?.code)}`).toContain(parsed.error?.code);
    expect(typeof parsed.error?.message, `${described}: message`).toBe('string');
    expect(Array.isArray(parsed.error?.details), `${described}: details`).toBe(true);
  } else if (answer.statusCode >= 400) {
    // People get pages from the newsletter routes; everything else answers errors in JSON.
    expect(type, `${described}: ${answer.statusCode} as ${type}`).toMatch(/^text\/html/);
  }
}

function withinHangLimit<T>(promise: Promise<T>, described: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${described}: no answer within ${HANG_MS} ms`)), HANG_MS);
  });
  return Promise.race([promise, hang]).finally(() => clearTimeout(timer));
}

/**
 * Runs are batches of BATCH requests; each property stops after its runs or its time, whichever
 * comes first (a loaded machine gets fewer runs, never a longer test). No shrinking: the failing
 * request is printed whole.
 */
const runOptions = { endOnFailure: true } as const;
/** Even on a slow machine, each property must have sent this many requests. */
const MINIMUM_SENT = 200;

function overSocket(verb: string, url: string, given: Record<string, string>): Promise<Answer> {
  return new Promise<Answer>((resolve, reject) => {
    const outgoing = httpRequest({ host: '127.0.0.1', port, path: url, method: verb, headers: given, agent: false }, (incoming) => {
      const chunks: Buffer[] = [];
      incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
      incoming.on('end', () =>
        resolve({ statusCode: incoming.statusCode ?? 0, headers: incoming.headers, body: Buffer.concat(chunks).toString('utf8') }),
      );
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}

describe('every route, fuzzed', () => {
  it('answers generated requests without a 5xx, a hang or a stack trace, errors in our shape', async () => {
    let sent = 0;
    const generatedRequest = fc.record({ verb: method, url: path, headers, content: body, remoteAddress: fc.ipV4() });
    await fc.assert(
      // A few at once, as strangers send them (and more requests in the time allowed).
      fc.asyncProperty(fc.array(generatedRequest, { minLength: BATCH, maxLength: BATCH }), async (batch) => {
        sent += batch.length;
        await Promise.all(
          batch.map(async ({ verb, url, headers: given, content, remoteAddress }) => {
            const withBody = content !== undefined && verb !== 'GET' && verb !== 'HEAD';
            const described = `${verb} ${url.slice(0, 120)} ${JSON.stringify(given).slice(0, 200)} ${withBody ? `${content.type} ${String(content.payload).slice(0, 200)}` : ''}`;
            const answer = await withinHangLimit(
              t.app.inject({
                method: verb as 'GET',
                url,
                remoteAddress,
                headers: { ...given, ...(withBody ? { 'content-type': content.type } : {}) },
                ...(withBody ? { payload: content.payload } : {}),
              }),
              described,
            );
            check(answer, described, verb, url);
          }),
        );
      }),
      { ...runOptions, numRuns: 400, interruptAfterTimeLimit: 10_000 },
    );
    expect(sent).toBeGreaterThanOrEqual(MINIMUM_SENT);
  }, 60_000);

  it('answers generated publisher requests with a valid token the same way', async () => {
    let sent = 0;
    const publisherRoute = fc.oneof(
      fc.constant({ verb: 'POST', url: '/api/articles' }),
      fc.constant({ verb: 'POST', url: '/api/preview' }),
      fc.tuple(fc.constantFrom('GET', 'PUT', 'DELETE'), segment).map(([verb, id]) => ({ verb, url: `/api/articles/${id}` })),
      fc.tuple(segment, query).map(([id, search]) => ({ verb: 'POST', url: `/api/articles/${id}/retry${search ? `?${search}` : ''}` })),
      query.map((search) => ({ verb: 'GET', url: `/api/articles${search ? `?${search}` : ''}` })),
    );
    const generatedRequest = fc.record({ route: publisherRoute, payload: fc.oneof(articleLike, fc.jsonValue()) });
    await fc.assert(
      fc.asyncProperty(fc.array(generatedRequest, { minLength: BATCH, maxLength: BATCH }), async (batch) => {
        sent += batch.length;
        await Promise.all(
          batch.map(async ({ route: { verb, url }, payload }) => {
            const described = `${verb} ${url.slice(0, 120)} ${JSON.stringify(payload)?.slice(0, 300)}`;
            const answer = await withinHangLimit(
              t.app.inject({
                method: verb as 'GET',
                url,
                headers: { ...t.auth, 'content-type': 'application/json' },
                ...(verb === 'GET' || verb === 'DELETE' ? {} : { payload: JSON.stringify(payload) ?? 'null' }),
              }),
              described,
            );
            check(answer, described, verb, url);
          }),
        );
      }),
      { ...runOptions, numRuns: 250, interruptAfterTimeLimit: 8000 },
    );
    expect(sent).toBeGreaterThanOrEqual(MINIMUM_SENT);
  }, 60_000);

  it('answers generated feed and other paths over a socket (the fast path looks first) the same way', async () => {
    let sent = 0;
    const socketPath = fc.oneof(
      fc.tuple(segment, fc.constantFrom(...FEED_FILES)).map(([slug, file]) => `/categories/${slug}/${file}`),
      fc.constantFrom('/feed.xml', '/atom.xml', '/feed.json', '/categories/desk/feed.xml'),
      path,
    );
    const generatedRequest = fc.record({ url: socketPath, verb: fc.constantFrom('GET', 'HEAD', 'POST'), headers });
    await fc.assert(
      fc.asyncProperty(fc.array(generatedRequest, { minLength: BATCH, maxLength: BATCH }), async (batch) => {
        sent += batch.length;
        await Promise.all(
          batch.map(async ({ url, verb, headers: given }) => {
            const described = `${verb} ${url.slice(0, 120)} ${JSON.stringify(given).slice(0, 200)} over a socket`;
            const answer = await withinHangLimit(overSocket(verb, url, given), described);
            check(answer, described, verb, url);
          }),
        );
      }),
      { ...runOptions, numRuns: 150, interruptAfterTimeLimit: 5000 },
    );
    expect(sent).toBeGreaterThanOrEqual(MINIMUM_SENT);
  }, 60_000);
});
