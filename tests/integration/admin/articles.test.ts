/**
 * /admin/articles: the list with its state filter and pages, the timeline, Retry and Retract
 * through the ArticleService, the email as subscribers see it, and escaping. Real: Redis, SQLite,
 * the workers (feeds and the newsletter in outbox mode), Fastify through inject(). Rows of
 * networks this deployment does not run (X, Mastodon) are written into the ledger directly, as
 * their workers would have written them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTICLES_PER_PAGE, EMAIL_CSP } from '../../../src/http/admin/article-routes.js';
import { startTestSyndicate, type TestSyndicate } from '../../helpers/syndicate.js';
import { waitFor } from '../../helpers/wait.js';
import { ADMIN_ENV, ADMIN_TOKEN, signIn, type AdminBrowser } from './admin-session.js';

const HOSTILE_TITLE = '<script>alert("title")</script> & <b>bold</b>';
const HOSTILE_ERROR = '<img src=x onerror=alert(1)> refused by "the network"';

describe('admin articles', () => {
  let t: TestSyndicate;
  let admin: AdminBrowser;

  const submit = (id: string, extra: Record<string, unknown> = {}) =>
    t.syndicate.service.submit({ id, url: `https://news.test/${id}`, title: `Article ${id}`, ...extra });
  const sent = (id: string, channel = 'feeds') =>
    waitFor(
      async () => (await t.syndicate.deliveries.get({ articleId: id, channel, target: '' }))?.state === 'sent',
      10_000,
      `${id} ${channel} sent`,
    );
  /** A row as a network's worker leaves it after posting. */
  async function posted(articleId: string, channel: string, externalUrl: string) {
    const key = { articleId, channel, target: '' };
    const now = new Date();
    await t.syndicate.deliveries.ensure([{ ...key, state: 'queued' }], now);
    expect(await t.syndicate.deliveries.claim(key, 'test-claim', 60_000, now)).not.toBeNull();
    expect(await t.syndicate.deliveries.complete(key, 'test-claim', { state: 'sent', externalId: 'post-1', externalUrl }, now)).toBe(true);
  }

  beforeAll(async () => {
    t = await startTestSyndicate('admin-articles', { env: { ...ADMIN_ENV, CHANNELS: 'feeds,newsletter' } });
    admin = await signIn(t.app);
    await submit('calm');
    await submit('troubled', { publishedAt: new Date(Date.now() - 60_000).toISOString() });
    await sent('calm');
    await sent('troubled');
    await t.syndicate.deliveries.setState(
      { articleId: 'troubled', channel: 'feeds', target: '' },
      'failed',
      new Date(),
      'simulated outage',
    );
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('lists recent articles with one state badge per enabled channel', async () => {
    const page = await admin.get('/admin/articles');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<th scope="col">Feeds</th><th scope="col">Newsletter</th>');
    const calm = page.body.slice(page.body.indexOf('href="/admin/articles/calm"'));
    expect(calm.slice(0, calm.indexOf('</tr>'))).toMatch(/badge-sent">sent<\/span>/);
    expect(page.body).toContain('href="/admin/articles/troubled"');
  });

  it('filters on a delivery state: ?state=failed shows only articles with a failed delivery', async () => {
    const failed = await admin.get('/admin/articles?state=failed');
    expect(failed.statusCode).toBe(200);
    expect(failed.body).toContain('href="/admin/articles/troubled"');
    expect(failed.body).not.toContain('href="/admin/articles/calm"');
    expect(failed.body).toContain('<option value="failed" selected>failed</option>');

    const none = await admin.get('/admin/articles?state=manual_action');
    expect(none.body).toContain('No article has a delivery in the state “manual action”.');

    const invalid = await admin.get('/admin/articles?state=exploded');
    expect(invalid.statusCode).toBe(400);
    expect(invalid.body).toContain('is not a delivery state');
  });

  it('pages through articles, newest first', async () => {
    const base = Date.parse('2020-01-01T00:00:00Z');
    for (let index = 0; index < ARTICLES_PER_PAGE + 2; index++) {
      await submit(`old-${String(index).padStart(2, '0')}`, { publishedAt: new Date(base + index * 60_000).toISOString() });
    }
    const first = await admin.get('/admin/articles');
    const next = /<a rel="next" href="([^"]+)">Older articles<\/a>/.exec(first.body);
    expect(next).not.toBeNull();
    const second = await admin.get(next![1]!.replace(/&amp;/g, '&'));
    expect(second.statusCode).toBe(200);
    expect(second.body).toContain('href="/admin/articles/old-00"');
    expect(second.body).not.toContain('href="/admin/articles/calm"');
    expect(second.body).toContain('<a href="/admin/articles">Newest articles</a>');

    const broken = await admin.get('/admin/articles?cursor=not-a-cursor!');
    expect(broken.statusCode).toBe(400);
  });

  it('shows the timeline: each channel’s state, attempts, last error, when, and a link to each post', async () => {
    await posted('calm', 'x', 'https://x.com/i/web/status/1800000000000000001');
    await posted('calm', 'mastodon', 'file:///var/lib/syndicate/outbox/mastodon/calm.json');
    const page = await admin.get('/admin/articles/calm');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<h1>Article calm</h1>');
    expect(page.body).toContain('<a href="https://x.com/i/web/status/1800000000000000001" rel="noreferrer">View on X</a>');
    // An outbox file is not a link.
    expect(page.body).toContain('<code>file:///var/lib/syndicate/outbox/mastodon/calm.json</code>');
    expect(page.body).not.toContain('href="file:');
    const feeds = page.body.slice(page.body.indexOf('<th scope="row">Feeds</th>'));
    expect(feeds.slice(0, feeds.indexOf('</tr>'))).toMatch(/badge-sent">sent<\/span><\/td>\s*<td>1<\/td>[\s\S]*<time datetime="\d{4}-/);
    // Nothing failed here: no Retry button.
    expect(page.body).not.toMatch(/<button type="submit">Retry/);
  });

  it('retries a failed delivery through the service, and the timeline then shows it sent', async () => {
    const before = await admin.get('/admin/articles/troubled');
    expect(before.body).toContain('simulated outage');
    expect(before.body).toMatch(
      /<form class="inline" method="post" action="\/admin\/articles\/troubled\/retry"><input type="hidden" name="_csrf" value="[^"]+"><input type="hidden" name="channel" value="feeds"><button type="submit">Retry<span class="visually-hidden"> Feeds<\/span><\/button><\/form>/,
    );
    const retry = await admin.post('/admin/articles/troubled/retry', { channel: 'feeds' });
    expect(retry.statusCode).toBe(303);
    expect(retry.headers.location).toBe('/admin/articles/troubled?done=retry&channel=feeds');
    await sent('troubled');
    const after = await admin.get(String(retry.headers.location));
    expect(after.body).toContain('<div class="notice" role="status">Retry queued for Feeds.</div>');
    expect(after.body).not.toMatch(/<button type="submit">Retry/);

    const again = await admin.post('/admin/articles/troubled/retry', { channel: 'feeds' });
    expect(again.headers.location).toBe('/admin/articles/troubled?done=retry-none&channel=feeds');
    const unknown = await admin.post('/admin/articles/troubled/retry', { channel: 'myspace' });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.body).toContain('unknown or disabled channel');
  });

  it('retries with the bearer header, without a CSRF token', async () => {
    await t.syndicate.deliveries.setState({ articleId: 'troubled', channel: 'feeds', target: '' }, 'failed', new Date(), 'again');
    const retry = await t.app.inject({
      method: 'POST',
      url: '/admin/articles/troubled/retry',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'channel=feeds',
    });
    expect(retry.statusCode).toBe(303);
    await sent('troubled');
  });

  it('refuses a Retry without the CSRF token, and changes nothing', async () => {
    await t.syndicate.deliveries.setState({ articleId: 'troubled', channel: 'feeds', target: '' }, 'failed', new Date(), 'held');
    const refused = await admin.post('/admin/articles/troubled/retry', { channel: 'feeds' }, { csrf: null });
    expect(refused.statusCode).toBe(403);
    expect((await t.syndicate.deliveries.get({ articleId: 'troubled', channel: 'feeds', target: '' }))?.state).toBe('failed');
  });

  it('retracts after a confirmation step; a retracted article offers neither Retract nor Retry', async () => {
    const timeline = await admin.get('/admin/articles/troubled');
    expect(timeline.body).toContain('<a class="button danger" href="/admin/articles/troubled/retract">Retract this article…</a>');
    const confirm = await admin.get('/admin/articles/troubled/retract');
    expect(confirm.statusCode).toBe(200);
    expect(confirm.body).toContain('<h1>Retract “Article troubled”?</h1>');
    expect(confirm.body).toMatch(
      /<form class="inline" method="post" action="\/admin\/articles\/troubled\/retract"><input type="hidden" name="_csrf"/,
    );
    expect(confirm.body).toContain('<a href="/admin/articles/troubled">Cancel</a>');
    // The confirmation page itself changes nothing.
    expect((await t.syndicate.articles.get('troubled'))?.state).toBe('published');

    const retract = await admin.post('/admin/articles/troubled/retract');
    expect(retract.statusCode).toBe(303);
    expect(retract.headers.location).toBe('/admin/articles/troubled?done=retracted');
    expect((await t.syndicate.articles.get('troubled'))?.state).toBe('retracted');

    const after = await admin.get(String(retract.headers.location));
    expect(after.body).toContain('The article is retracted.');
    expect(after.body).toMatch(/<p>Retracted <time datetime=/);
    expect(after.body).not.toContain('Retract this article');
    expect(after.body).not.toMatch(/<button type="submit">Retry/);

    const retry = await admin.post('/admin/articles/troubled/retry', { channel: 'feeds' });
    expect(retry.statusCode).toBe(409);
    expect((await admin.get('/admin/articles/troubled/retract')).headers.location).toBe('/admin/articles/troubled');
  });

  it('shows the email as subscribers see it, in a sandboxed frame served under its own strict CSP', async () => {
    const page = await admin.get('/admin/articles/calm');
    expect(page.body).toContain('<h2 id="email-heading">The email as subscribers see it</h2>');
    expect(page.body).toContain('<iframe class="email" src="/admin/articles/calm/email" sandbox="" title="The email for Article calm"');
    const email = await admin.get('/admin/articles/calm/email');
    expect(email.statusCode).toBe(200);
    expect(email.headers['content-security-policy']).toBe(EMAIL_CSP);
    expect(email.headers['content-security-policy']).toMatch(/; sandbox$/);
    expect(email.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(email.body).toContain('Article calm');
    expect(email.body).toContain('http://news.test/unsubscribe/SUBSCRIBER-TOKEN');
    expect(email.body).not.toMatch(/<script/i);
  });

  it('escapes hostile titles and platform errors everywhere they are shown', async () => {
    await submit('hostile', { title: HOSTILE_TITLE });
    await sent('hostile');
    await t.syndicate.deliveries.setState({ articleId: 'hostile', channel: 'feeds', target: '' }, 'failed', new Date(), HOSTILE_ERROR);
    for (const url of ['/admin/articles', '/admin/articles?state=failed', '/admin/articles/hostile', '/admin/articles/hostile/retract']) {
      const page = await admin.get(url);
      expect(page.statusCode, url).toBe(200);
      expect(page.body, url).not.toContain('<script>');
      expect(page.body, url).not.toContain('<b>bold');
      expect(page.body, url).toContain('&lt;script&gt;alert(&quot;title&quot;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;');
    }
    const timeline = await admin.get('/admin/articles/hostile');
    expect(timeline.body).not.toContain('<img src=x');
    expect(timeline.body).toContain('&lt;img src=x onerror=alert(1)&gt; refused by &quot;the network&quot;');
    expect(timeline.body).toContain('title="The email for &lt;script&gt;');
  });

  it('answers an unknown or malformed article id with a 404 page', async () => {
    for (const url of [
      '/admin/articles/nope',
      '/admin/articles/..%2F..%2Fapi',
      '/admin/articles/nope/email',
      '/admin/articles/nope/retract',
    ]) {
      const page = await admin.get(url);
      expect(page.statusCode, url).toBe(404);
      expect(page.body, url).toContain('<h1>Not found</h1>');
    }
  });
});
