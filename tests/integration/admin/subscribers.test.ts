/**
 * /admin/subscribers: counts by state, search by address (exact characters, bounded), one
 * subscriber's consent record and deliveries — on SQLite and on PostgreSQL, since the search is
 * a query of its own. Real: Redis, both databases, Fastify through inject(). The subscribers and
 * their ledger rows are written through the stores, as sign-ups and sends would write them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEARCH_LIMIT } from '../../../src/http/admin/subscriber-routes.js';
import { SubscriberStore } from '../../../src/store/subscribers.js';
import { startTestSyndicate, type TestSyndicate } from '../../helpers/syndicate.js';
import { ADMIN_ENV, signIn, type AdminBrowser } from './admin-session.js';

describe.each(['sqlite', 'postgres'] as const)('admin subscribers on %s', (database) => {
  let t: TestSyndicate;
  let admin: AdminBrowser;
  let subscribers: SubscriberStore;
  const now = new Date('2026-03-02T08:00:00Z');

  const subscribe = (email: string, name: string | null = null, ip: string | null = null) =>
    subscribers.subscribe({ email, frequency: 'immediate', categories: [], name }, { now, ip });

  beforeAll(async () => {
    t = await startTestSyndicate(`admin-subscribers-${database}`, {
      database,
      env: { ...ADMIN_ENV, CHANNELS: 'feeds,newsletter' },
      roles: [],
    });
    admin = await signIn(t.app);
    subscribers = new SubscriberStore(t.syndicate.database);
    const ann = await subscribe('ann@example.org', '<i>Ann</i> "the reader"', '203.0.113.7');
    await subscribers.confirm(ann.subscriber.id, new Date(now.getTime() + 60_000));
    await subscribe('ann_b@example.org');
    await subscribe('annxb@example.org');
    const gone = await subscribe('gone@example.net');
    await subscribers.unsubscribe(gone.subscriber.id, now);
    for (let index = 0; index < SEARCH_LIMIT + 1; index++) await subscribe(`bulk${String(index).padStart(3, '0')}@example.com`);
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('counts subscribers by state', async () => {
    const page = await admin.get('/admin/subscribers');
    expect(page.statusCode).toBe(200);
    expect(page.body).toMatch(/badge-pending">pending<\/span><\/th><td>53<\/td>/);
    expect(page.body).toMatch(/badge-confirmed">confirmed<\/span><\/th><td>1<\/td>/);
    expect(page.body).toMatch(/badge-unsubscribed">unsubscribed<\/span><\/th><td>1<\/td>/);
    expect(page.body).toMatch(/badge-bounced">bounced<\/span><\/th><td>0<\/td>/);
    expect(page.body).toContain('<tr><th scope="row">Total</th><td>55</td></tr>');
    expect(page.body).toContain('<label for="q">Address, or how it begins</label>');
  });

  it('finds an address by its beginning, whatever the case typed, with no wildcards', async () => {
    const exact = await admin.get('/admin/subscribers?q=ANN%40example.org');
    expect(exact.body).toContain('>ann@example.org</a>');
    expect(exact.body).not.toContain('ann_b@example.org');

    const prefix = await admin.get('/admin/subscribers?q=ann');
    expect(prefix.body.match(/<th scope="row"><a href="\/admin\/subscribers\//g)).toHaveLength(3);

    // `_` and `%` are characters here, not LIKE wildcards.
    const underscore = await admin.get('/admin/subscribers?q=ann_');
    expect(underscore.body).toContain('>ann_b@example.org</a>');
    expect(underscore.body).not.toContain('annxb@example.org');
    const percent = await admin.get('/admin/subscribers?q=%25');
    expect(percent.body).toContain('No subscriber with an address starting “%”');
  });

  it('shows at most a bounded number of matches, and says there are more', async () => {
    const page = await admin.get('/admin/subscribers?q=bulk');
    expect(page.body.match(/<th scope="row"><a href="\/admin\/subscribers\//g)).toHaveLength(SEARCH_LIMIT);
    expect(page.body).toContain('More addresses match');
    const tooLong = await admin.get(`/admin/subscribers?q=${'a'.repeat(300)}`);
    expect(tooLong.statusCode).toBe(200);
    expect(tooLong.body).toContain('An address has at most 254 characters.');
  });

  it('shows one subscriber’s consent record and deliveries, escaped', async () => {
    const ann = (await subscribers.getByEmail('ann@example.org'))!;
    await t.syndicate.service.submit({ id: 'letter', url: 'https://news.test/letter', title: 'Letter' });
    const key = { articleId: 'letter', channel: 'newsletter', target: ann.id };
    await t.syndicate.deliveries.ensure([{ ...key, state: 'queued' }], now);
    await t.syndicate.deliveries.setState(key, 'failed', now, '550 <mailbox> unavailable');

    const page = await admin.get(`/admin/subscribers/${ann.id}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<h1>ann@example.org</h1>');
    expect(page.body).toContain('<dt>State</dt><dd><span class="badge badge-confirmed">confirmed</span></dd>');
    expect(page.body).toContain('<dt>Consent source</dt><dd>form</dd>');
    expect(page.body).toContain('<dt>Consent given</dt><dd><time datetime="2026-03-02T08:01:00.000Z">2026-03-02 08:01:00 UTC</time></dd>');
    expect(page.body).toContain('<dt>Consent IP address</dt><dd>203.0.113.7</dd>');
    expect(page.body).toContain('<dt>Confirmed</dt><dd><time datetime="2026-03-02T08:01:00.000Z">');
    expect(page.body).toContain('&lt;i&gt;Ann&lt;/i&gt; &quot;the reader&quot;');
    expect(page.body).not.toContain('<i>Ann');
    expect(page.body).toContain('<a href="/admin/articles/letter"><code>letter</code></a>');
    expect(page.body).toContain('550 &lt;mailbox&gt; unavailable');

    const gone = (await subscribers.getByEmail('gone@example.net'))!;
    const unsubscribed = await admin.get(`/admin/subscribers/${gone.id}`);
    expect(unsubscribed.body).toContain('<dt>Unsubscribed</dt><dd><time datetime="2026-03-02T08:00:00.000Z">');
    expect(unsubscribed.body).toContain('<dt>Consent IP address</dt><dd><span class="none">not recorded</span></dd>');
    expect(unsubscribed.body).toContain('Nothing has been sent to this subscriber.');
  });

  it('answers an unknown subscriber with a 404 page', async () => {
    const page = await admin.get('/admin/subscribers/00000000-0000-0000-0000-000000000000');
    expect(page.statusCode).toBe(404);
    expect((await admin.get(`/admin/subscribers/${'x'.repeat(500)}`)).statusCode).toBe(404);
  });
});
