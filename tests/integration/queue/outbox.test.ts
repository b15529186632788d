/**
 * OUTBOX=true: platform channels without credentials write what they would send to
 * DATA_DIR/outbox/<channel>/<article>.json, through the same ledger as live channels.
 * Real: Redis, SQLite, workers, the file system.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSyndicate, type TestSyndicate } from '../../helpers/syndicate.js';
import { waitFor } from '../../helpers/wait.js';

describe('the outbox', () => {
  let t: TestSyndicate;
  beforeAll(async () => {
    t = await startTestSyndicate('outbox', { env: { CHANNELS: 'feeds,facebook,instagram', OUTBOX: 'true' } });
  });
  afterAll(async () => {
    await t?.stop();
  });

  const view = async (id: string) => (await t.app.inject({ method: 'GET', url: `/api/articles/${id}`, headers: t.auth })).json();

  it('writes each composed post once, and skips Instagram for an article without an image', async () => {
    await t.syndicate.service.submit({
      id: 'boxed',
      url: 'https://news.test/boxed',
      title: 'Boxed story',
      summary: 'In the outbox.',
      tags: ['Local'],
    });
    const settled = await waitFor(async () => {
      const body = await view('boxed');
      return body.deliveries.facebook?.state === 'sent' && body.deliveries.instagram?.state === 'skipped' ? body : false;
    }, 8000);
    expect(settled.deliveries.instagram.lastError).toMatch(/no image/);
    const file = path.join(t.dataDir, 'outbox', 'facebook', 'boxed.json');
    const written = JSON.parse(readFileSync(file, 'utf8'));
    expect(written).toMatchObject({ channel: 'facebook', articleId: 'boxed', url: 'https://news.test/boxed' });
    expect(written.post.link).toBe('https://news.test/boxed');
    expect(JSON.stringify(written.post)).toContain('Boxed story');
    expect(settled.deliveries.facebook.externalUrl).toBe(`file://${file}`);
  });

  it('honours an article that turns a channel off', async () => {
    await t.syndicate.service.submit({
      id: 'no-fb',
      url: 'https://news.test/no-fb',
      title: 'Not for Facebook',
      channels: { facebook: false },
    });
    const body = await waitFor(async () => {
      const current = await view('no-fb');
      return current.deliveries.facebook?.state === 'skipped' ? current : false;
    }, 8000);
    expect(body.deliveries.facebook.lastError).toMatch(/channels.facebook = false/);
    expect(existsSync(path.join(t.dataDir, 'outbox', 'facebook', 'no-fb.json'))).toBe(false);
  });

  it('takes the post back out of the outbox on retraction', async () => {
    const file = path.join(t.dataDir, 'outbox', 'facebook', 'boxed.json');
    await t.app.inject({ method: 'DELETE', url: '/api/articles/boxed', headers: t.auth });
    await waitFor(async () => (await view('boxed')).deliveries.facebook?.state === 'retracted', 8000, 'the retraction');
    expect(existsSync(file)).toBe(false);
  });

  it('previews every platform post without credentials', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/preview',
      headers: t.auth,
      payload: { url: 'https://news.test/p', title: 'Preview me', image: { url: 'https://news.test/p.jpg', alt: 'A harbour' } },
    });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(JSON.stringify(body.facebook)).toContain('Preview me');
    expect(JSON.stringify(body.instagram)).toContain('Preview me');
  });
});

describe('OUTBOX=false', () => {
  it('turns a platform channel without credentials off: no queue, no ledger row', async () => {
    const t = await startTestSyndicate('outbox-off', { env: { CHANNELS: 'feeds,facebook', OUTBOX: 'false' } });
    try {
      expect(t.syndicate.queues.hasChannel('facebook')).toBe(false);
      expect(t.syndicate.roles).not.toContain('facebook');
      await t.syndicate.service.submit({ id: 'off', url: 'https://news.test/off', title: 'Off' });
      await waitFor(
        async () => (await t.syndicate.deliveries.get({ articleId: 'off', channel: 'feeds', target: '' }))?.state === 'sent',
        8000,
      );
      expect((await t.syndicate.deliveries.listForArticle('off')).map((row) => row.channel)).toEqual(['feeds']);
    } finally {
      await t.stop();
    }
  });
});
