import { randomBytes } from 'node:crypto';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { type ImageVariant, type ImageVariantSpec, makeImageVariant } from '../../../src/media/image-variant.js';
import { halfTransparentPng, noisePng, solidJpeg } from '../../fixtures/images/make-images.js';

// Specs shaped like two platforms' (each platform's own spec lives in its channel folder).
const SMALL_JPEG: ImageVariantSpec = { name: 'small', format: 'jpeg', maxBytes: 1_000_000, maxLongestSide: 2000 }; // Bluesky's shape
const LARGE_JPEG_OR_PNG: ImageVariantSpec = { name: 'large', format: 'jpeg-or-png', maxBytes: 8_000_000, maxLongestSide: 3840 }; // Mastodon's shape
const FEED_FRAME = { minAspect: 0.8, maxAspect: 1.91, minWidth: 320, maxWidth: 1440 } as const;

/** Asserts the variant is what it says: format, size, bytes within the spec, sRGB, no EXIF. */
async function expectWithin(variant: ImageVariant, spec: ImageVariantSpec): Promise<void> {
  const metadata = await sharp(variant.data).metadata();
  expect(`image/${metadata.format}`).toBe(variant.mimeType);
  expect([metadata.width, metadata.height]).toEqual([variant.width, variant.height]);
  expect(variant.data.length).toBeLessThanOrEqual(spec.maxBytes);
  if (spec.maxLongestSide) expect(Math.max(variant.width, variant.height)).toBeLessThanOrEqual(spec.maxLongestSide);
  expect(metadata.space).toBe('srgb');
  expect(metadata.exif).toBeUndefined();
}

/** A JPEG whose every pixel is random: nothing compresses worse (and it is quicker to make than Gaussian noise). */
function randomPixelsJpeg(width: number, height: number): Promise<Buffer> {
  return sharp(randomBytes(width * height * 3), { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 95 })
    .toBuffer();
}

/** The alpha of one pixel (255 when the image has no alpha channel). */
async function alphaAt(image: Buffer, x: number, y: number): Promise<number> {
  const pixel = await sharp(image).ensureAlpha().extract({ left: x, top: y, width: 1, height: 1 }).raw().toBuffer();
  return pixel[3] ?? 255;
}

describe('makeImageVariant with a 1 MB JPEG spec, 2000 px at most (Bluesky’s shape)', () => {
  it('brings a 24 MP photo of pure noise under 1,000,000 bytes and 2000 px', async () => {
    const source = await randomPixelsJpeg(6000, 4000);
    expect(source.length).toBeGreaterThan(20_000_000);
    const variant = await makeImageVariant(source, SMALL_JPEG);
    await expectWithin(variant, SMALL_JPEG);
    expect(variant.mimeType).toBe('image/jpeg');
    expect(variant.data.length).toBeLessThan(1_000_000);
    expect([variant.width, variant.height]).toEqual([2000, 1333]);
  });

  it('shrinks a 2000 px square of pure noise, which no quality fits at full size, under 1,000,000 bytes', async () => {
    const variant = await makeImageVariant(await randomPixelsJpeg(2000, 2000), SMALL_JPEG);
    await expectWithin(variant, SMALL_JPEG);
    expect(variant.data.length).toBeLessThan(1_000_000);
    expect(variant.width).toBeLessThan(2000);
    expect(variant.width).toBe(variant.height);
  });

  it('flattens transparency onto white, since it only takes JPEG', async () => {
    const variant = await makeImageVariant(await halfTransparentPng(), SMALL_JPEG);
    await expectWithin(variant, SMALL_JPEG);
    expect(variant.mimeType).toBe('image/jpeg');
    const [red = 0, green = 0, blue = 0] = await sharp(variant.data).extract({ left: 10, top: 10, width: 1, height: 1 }).raw().toBuffer();
    expect(Math.min(red, green, blue)).toBeGreaterThan(240);
  });
});

describe('makeImageVariant with an 8 MB JPEG-or-PNG spec, 3840 px at most (Mastodon’s shape)', () => {
  it('keeps real transparency as PNG', async () => {
    const variant = await makeImageVariant(await halfTransparentPng(), LARGE_JPEG_OR_PNG);
    await expectWithin(variant, LARGE_JPEG_OR_PNG);
    expect(variant.mimeType).toBe('image/png');
    expect([variant.width, variant.height]).toEqual([200, 200]);
    expect(await alphaAt(variant.data, 10, 10)).toBe(0);
    expect(await alphaAt(variant.data, 150, 10)).toBe(255);
  });

  it('keeps a translucent photo as PNG, at its size, translucent', async () => {
    const variant = await makeImageVariant(await noisePng(600, 400, 'translucent'), LARGE_JPEG_OR_PNG);
    await expectWithin(variant, LARGE_JPEG_OR_PNG);
    expect(variant.mimeType).toBe('image/png');
    expect([variant.width, variant.height]).toEqual([600, 400]);
    expect(await alphaAt(variant.data, 300, 200)).toBeLessThan(255);
  });

  it('reduces a 5000 × 2500 photo to 3840 × 1920 JPEG', async () => {
    const variant = await makeImageVariant(await solidJpeg(5000, 2500), LARGE_JPEG_OR_PNG);
    await expectWithin(variant, LARGE_JPEG_OR_PNG);
    expect(variant.mimeType).toBe('image/jpeg');
    expect([variant.width, variant.height]).toEqual([3840, 1920]);
  });
});

describe('makeImageVariant with a frame', () => {
  it('keeps the height within the longest side as well', async () => {
    const spec: ImageVariantSpec = {
      name: 'framed',
      format: 'jpeg',
      maxBytes: 1_000_000,
      maxLongestSide: 1000,
      frame: { ...FEED_FRAME, fit: 'pad' },
    };
    const variant = await makeImageVariant(await solidJpeg(1000, 3000), spec);
    await expectWithin(variant, spec);
    expect([variant.width, variant.height]).toEqual([800, 1000]);
  });

  it('keeps transparency as PNG, brought into the frame, when the spec allows PNG', async () => {
    const spec: ImageVariantSpec = { name: 'framed', format: 'jpeg-or-png', maxBytes: 1_000_000, frame: FEED_FRAME };
    const variant = await makeImageVariant(await halfTransparentPng(), spec);
    await expectWithin(variant, spec);
    expect(variant.mimeType).toBe('image/png');
    expect([variant.width, variant.height]).toEqual([320, 320]);
    expect(await alphaAt(variant.data, 10, 10)).toBe(0);
  });
});

describe('makeImageVariant with an impossible spec', () => {
  // Empty data would be refused as not_an_image: a RangeError shows the spec was refused first.
  it.each<[string, ImageVariantSpec]>([
    ['no byte budget', { name: 'none', format: 'jpeg', maxBytes: 0 }],
    ['a longest side of no pixels', { name: 'none', format: 'jpeg', maxBytes: 1000, maxLongestSide: 0 }],
    ['an empty aspect range', { name: 'none', format: 'jpeg', maxBytes: 1000, frame: { ...FEED_FRAME, minAspect: 2, maxAspect: 1 } }],
    ['an empty width range', { name: 'none', format: 'jpeg', maxBytes: 1000, frame: { ...FEED_FRAME, minWidth: 1500, maxWidth: 1440 } }],
    [
      'a frame wider than its longest side allows',
      { name: 'none', format: 'jpeg', maxBytes: 1000, maxLongestSide: 399, frame: FEED_FRAME },
    ],
    [
      'a background that is not a colour',
      { name: 'none', format: 'jpeg', maxBytes: 1000, frame: { ...FEED_FRAME, background: 'not-a-colour' } },
    ],
  ])('refuses %s before decoding', async (_label, spec) => {
    await expect(makeImageVariant(Buffer.alloc(0), spec)).rejects.toThrow(RangeError);
  });
});
