/**
 * Article images for the platforms: fetched once, a variant per platform made once, stored,
 * and served at /media/:id/:variant.jpg.
 * Real: an image server on 127.0.0.1, sharp, SQLite, Fastify (inject).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INSTAGRAM_IMAGE_SPEC } from '../../../src/channels/instagram/image-spec.js';
import { X_IMAGE_SPEC } from '../../../src/channels/x/image-spec.js';
import type { ImageVariantSpec } from '../../../src/media/image-variant.js';
import { startTestSyndicate, type TestSyndicate } from '../../helpers/syndicate.js';

describe('ImageLibrary', () => {
  let server: Server;
  let imageUrl: string;
  let hits = 0;
  let t: TestSyndicate;

  beforeAll(async () => {
    const png = await sharp({ create: { width: 2400, height: 800, channels: 4, background: { r: 200, g: 30, b: 30, alpha: 0.5 } } })
      .png()
      .toBuffer();
    server = createServer((_request, response) => {
      hits++;
      response.writeHead(200, { 'content-type': 'image/png', 'content-length': png.length }).end(png);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    imageUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/wide.png`;
    t = await startTestSyndicate('images', { env: { MEDIA_ALLOW_PRIVATE: 'true' } });
    await t.syndicate.service.submit({
      id: 'pictured',
      url: 'https://news.test/pictured',
      title: 'Pictured',
      image: { url: imageUrl, alt: 'Red' },
    });
  });

  afterAll(async () => {
    await t?.stop();
    await new Promise((resolve) => server.close(resolve));
  });

  it('fetches the source once and makes each variant once', async () => {
    const article = (await t.syndicate.articles.get('pictured'))!;
    const instagram = await t.syndicate.images.variant(article, INSTAGRAM_IMAGE_SPEC);
    const again = await t.syndicate.images.variant(article, INSTAGRAM_IMAGE_SPEC);
    const x = await t.syndicate.images.variant(article, X_IMAGE_SPEC);
    expect(hits).toBe(1);
    expect(again?.data.equals(instagram!.data)).toBe(true);
    expect(instagram).toMatchObject({ mimeType: 'image/jpeg', url: 'http://news.test/media/pictured/instagram.jpg' });
    expect(instagram!.width / instagram!.height).toBeLessThanOrEqual(1.91);
    expect(x?.mimeType).toMatch(/^image\/(jpeg|png)$/);
  });

  it('serves the Instagram variant as a public JPEG, with 304 on its ETag', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/media/pictured/instagram.jpg' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('image/jpeg');
    const meta = await sharp(response.rawPayload).metadata();
    expect(meta.format).toBe('jpeg');
    expect(meta.width).toBeGreaterThanOrEqual(320);
    expect(meta.width).toBeLessThanOrEqual(1440);
    const cached = await t.app.inject({
      method: 'GET',
      url: '/media/pictured/instagram.jpg',
      headers: { 'if-none-match': String(response.headers.etag) },
    });
    expect(cached.statusCode).toBe(304);
  });

  it('stores a variant under its spec’s name and serves it as PNG when it keeps transparency', async () => {
    const article = (await t.syndicate.articles.get('pictured'))!;
    const spec: ImageVariantSpec = { name: 'small-png', format: 'jpeg-or-png', maxBytes: 1_000_000, maxLongestSide: 600 };
    const small = await t.syndicate.images.variant(article, spec);
    expect(hits).toBe(1);
    expect(small).toMatchObject({ mimeType: 'image/png', url: 'http://news.test/media/pictured/small-png.png', width: 600, height: 200 });
    const response = await t.app.inject({ method: 'GET', url: '/media/pictured/small-png.png' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('image/png');
    expect(response.rawPayload.equals(small!.data)).toBe(true);
  });

  it('refuses a spec whose name the media route cannot serve, or that would replace the source', async () => {
    const article = (await t.syndicate.articles.get('pictured'))!;
    for (const name of ['source', 'Big Thumb', '', '../x']) {
      await expect(t.syndicate.images.variant(article, { name, format: 'jpeg', maxBytes: 1_000_000 })).rejects.toThrow(RangeError);
    }
    const x = await t.syndicate.images.variant(article, X_IMAGE_SPEC);
    expect(hits).toBe(1);
    expect(x?.url).toMatch(/^http:\/\/news\.test\/media\/pictured\/x\.(jpg|png)$/);
  });

  it('never serves the fetched source itself, nor unknown media', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/media/pictured/source.jpg' })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'GET', url: '/media/pictured/facebook.jpg' })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'GET', url: '/media/..%2F..%2Fetc/passwd.jpg' })).statusCode).toBe(404);
  });
});

describe('ImageLibrary without MEDIA_ALLOW_PRIVATE', () => {
  it('refuses an image on a loopback address', async () => {
    const t = await startTestSyndicate('images-private');
    try {
      await t.syndicate.service.submit({
        id: 'local-image',
        url: 'https://news.test/l',
        title: 'L',
        image: { url: 'http://127.0.0.1:9/x.jpg' },
      });
      const article = (await t.syndicate.articles.get('local-image'))!;
      await expect(t.syndicate.images.variant(article, INSTAGRAM_IMAGE_SPEC)).rejects.toMatchObject({ reason: 'private_address' });
    } finally {
      await t.stop();
    }
  });
});
