import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { X_IMAGE_SPEC } from '../../../../src/channels/x/image-spec.js';
import { ImageVariantError } from '../../../../src/media/image-variant-error.js';
import { type ImageVariant, makeImageVariant } from '../../../../src/media/image-variant.js';
import {
  animatedGif,
  cmykJpeg,
  halfTransparentPng,
  noiseJpeg,
  noisePng,
  rotatedJpegWithGps,
  solidJpeg,
} from '../../../fixtures/images/make-images.js';

/** Asserts what X accepts: JPEG or PNG as declared, ≤ 4096 px, ≤ 5 MB, no EXIF, sRGB. */
async function expectXReady(variant: ImageVariant): Promise<void> {
  const metadata = await sharp(variant.data).metadata();
  expect(`image/${metadata.format}`).toBe(variant.mimeType);
  expect([metadata.width, metadata.height]).toEqual([variant.width, variant.height]);
  expect(Math.max(variant.width, variant.height)).toBeLessThanOrEqual(4096);
  expect(variant.data.length).toBeLessThanOrEqual(5_000_000);
  expect(metadata.space).toBe('srgb');
  expect(metadata.exif).toBeUndefined();
}

describe('makeImageVariant with X_IMAGE_SPEC', () => {
  it('reduces a 6000 × 3000 photo to 4096 × 2048 JPEG', async () => {
    const variant = await makeImageVariant(await solidJpeg(6000, 3000), X_IMAGE_SPEC);
    await expectXReady(variant);
    expect(variant.mimeType).toBe('image/jpeg');
    expect([variant.width, variant.height]).toEqual([4096, 2048]);
  });

  it('keeps a small image at its size and shape (X has no aspect limits)', async () => {
    const variant = await makeImageVariant(await solidJpeg(120, 900), X_IMAGE_SPEC);
    await expectXReady(variant);
    expect([variant.width, variant.height]).toEqual([120, 900]);
  });

  it('keeps transparency as PNG', async () => {
    const variant = await makeImageVariant(await halfTransparentPng(), X_IMAGE_SPEC);
    await expectXReady(variant);
    expect(variant.mimeType).toBe('image/png');
    const [, , , alpha] = await sharp(variant.data).extract({ left: 10, top: 10, width: 1, height: 1 }).raw().toBuffer();
    expect(alpha).toBe(0);
  });

  it('sends a PNG whose alpha channel is opaque everywhere as JPEG', async () => {
    const source = await noisePng(300, 200, 'opaque');
    expect((await sharp(source).metadata()).hasAlpha).toBe(true);
    const variant = await makeImageVariant(source, X_IMAGE_SPEC);
    await expectXReady(variant);
    expect(variant.mimeType).toBe('image/jpeg');
  });

  it('converts CMYK to sRGB JPEG', async () => {
    const variant = await makeImageVariant(await cmykJpeg(), X_IMAGE_SPEC);
    await expectXReady(variant);
    expect((await sharp(variant.data).metadata()).channels).toBe(3);
  });

  it('sends the first frame of an animated GIF as a still JPEG', async () => {
    const variant = await makeImageVariant(await animatedGif(), X_IMAGE_SPEC);
    await expectXReady(variant);
    expect(variant.mimeType).toBe('image/jpeg');
    const [red = 0, , blue = 255] = await sharp(variant.data).extract({ left: 200, top: 200, width: 1, height: 1 }).raw().toBuffer();
    expect(red).toBeGreaterThan(200);
    expect(blue).toBeLessThan(60);
  });

  it('turns the image upright and strips EXIF and GPS', async () => {
    const variant = await makeImageVariant(await rotatedJpegWithGps(), X_IMAGE_SPEC);
    await expectXReady(variant);
    expect([variant.width, variant.height]).toEqual([300, 600]);
    expect(variant.data.includes('Jane Photographer')).toBe(false);
  });

  it('steps quality, then size, down until a JPEG fits the budget', async () => {
    const source = await noiseJpeg(2000, 2000);
    const full = await makeImageVariant(source, X_IMAGE_SPEC);
    const budget = Math.floor(full.data.length * 0.3);
    const variant = await makeImageVariant(source, { ...X_IMAGE_SPEC, maxBytes: budget });
    await expectXReady(variant);
    expect(variant.data.length).toBeLessThanOrEqual(budget);
    expect(variant.width).toBeLessThan(2000);
  });

  it('quantises, then shrinks, a transparent PNG until it fits the budget', async () => {
    const source = await noisePng(600, 600, 'translucent');
    const full = await makeImageVariant(source, X_IMAGE_SPEC);
    expect(full.mimeType).toBe('image/png');
    const budget = Math.floor(full.data.length * 0.4);
    const variant = await makeImageVariant(source, { ...X_IMAGE_SPEC, maxBytes: budget });
    await expectXReady(variant);
    expect(variant.mimeType).toBe('image/png');
    expect(variant.data.length).toBeLessThanOrEqual(budget);
  });

  it('refuses with too_large when nothing fits', async () => {
    await expect(makeImageVariant(await noiseJpeg(1000, 1000), { ...X_IMAGE_SPEC, maxBytes: 1000 })).rejects.toMatchObject({
      name: 'ImageVariantError',
      reason: 'too_large',
    });
    await expect(makeImageVariant(await noiseJpeg(1000, 1000), { ...X_IMAGE_SPEC, maxBytes: 1000 })).rejects.toBeInstanceOf(
      ImageVariantError,
    );
  });
});
