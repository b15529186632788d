import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { INSTAGRAM_IMAGE_SPEC } from '../../../../src/channels/instagram/image-spec.js';
import type { ImageFrame } from '../../../../src/media/frame.js';
import { ImageVariantError } from '../../../../src/media/image-variant-error.js';
import { type ImageVariant, type ImageVariantSpec, makeImageVariant } from '../../../../src/media/image-variant.js';
import {
  animatedGif,
  cmykJpeg,
  halfTransparentPng,
  noiseJpeg,
  rotatedJpegWithGps,
  solidJpeg,
} from '../../../fixtures/images/make-images.js';

/** Asserts everything SPEC §4 asks of an Instagram image, reading the bytes back with sharp. */
async function expectInstagramReady(variant: ImageVariant): Promise<void> {
  const metadata = await sharp(variant.data).metadata();
  expect(variant.mimeType).toBe('image/jpeg');
  expect(metadata.format).toBe('jpeg');
  expect([metadata.width, metadata.height]).toEqual([variant.width, variant.height]);
  expect(variant.width).toBeGreaterThanOrEqual(320);
  expect(variant.width).toBeLessThanOrEqual(1440);
  expect(variant.width / variant.height).toBeGreaterThanOrEqual(0.8);
  expect(variant.width / variant.height).toBeLessThanOrEqual(1.91);
  expect(variant.data.length).toBeLessThanOrEqual(8_000_000);
  expect(metadata.space).toBe('srgb');
  expect(metadata.channels).toBe(3);
  expect(metadata.exif).toBeUndefined();
  expect(metadata.orientation).toBeUndefined();
}

/** The [r, g, b] of one pixel. */
async function pixelAt(image: Buffer, x: number, y: number): Promise<number[]> {
  return [...(await sharp(image).extract({ left: x, top: y, width: 1, height: 1 }).removeAlpha().raw().toBuffer())];
}

/** A width × height JPEG, blue in the middle with `edge` px green bands on the given sides. */
async function bandedJpeg(width: number, height: number, edge: number, sides: 'left-right' | 'top-bottom'): Promise<Buffer> {
  const horizontal = sides === 'left-right';
  const band = await sharp({
    create: { width: horizontal ? edge : width, height: horizontal ? height : edge, channels: 3, background: '#00ff00' },
  })
    .png()
    .toBuffer();
  const far = horizontal ? { left: width - edge, top: 0 } : { left: 0, top: height - edge };
  return sharp({ create: { width, height, channels: 3, background: '#0000ff' } })
    .composite([
      { input: band, left: 0, top: 0 },
      { input: band, ...far },
    ])
    .jpeg({ quality: 95 })
    .toBuffer();
}

function expectColour(pixel: number[], colour: [number, number, number]): void {
  pixel.forEach((channel, index) => expect(Math.abs(channel - (colour[index] ?? 0))).toBeLessThan(40));
}

/** Instagram's spec with its frame or budget changed. */
function instagramWith(frame: Partial<ImageFrame>, maxBytes = INSTAGRAM_IMAGE_SPEC.maxBytes): ImageVariantSpec {
  return { ...INSTAGRAM_IMAGE_SPEC, maxBytes, frame: { ...INSTAGRAM_IMAGE_SPEC.frame!, ...frame } };
}

describe('makeImageVariant with INSTAGRAM_IMAGE_SPEC', () => {
  it('crops a 3:1 image around its centre to 1.91:1 at 1440 px wide', async () => {
    const variant = await makeImageVariant(await bandedJpeg(3000, 1000, 500, 'left-right'), INSTAGRAM_IMAGE_SPEC);
    await expectInstagramReady(variant);
    expect([variant.width, variant.height]).toEqual([1440, 754]);
    // The 500 px green bands lie outside the central 1910 px that are kept.
    expectColour(await pixelAt(variant.data, 2, 377), [0, 0, 255]);
    expectColour(await pixelAt(variant.data, 1437, 377), [0, 0, 255]);
  });

  it('crops a 1:3 image around its centre to 4:5', async () => {
    const variant = await makeImageVariant(await bandedJpeg(1000, 3000, 800, 'top-bottom'), INSTAGRAM_IMAGE_SPEC);
    await expectInstagramReady(variant);
    expect([variant.width, variant.height]).toEqual([1000, 1250]);
    expectColour(await pixelAt(variant.data, 500, 2), [0, 0, 255]);
    expectColour(await pixelAt(variant.data, 500, 1247), [0, 0, 255]);
  });

  it('pads a 1:3 image to 4:5 with white bars when asked to pad', async () => {
    const variant = await makeImageVariant(await solidJpeg(1000, 3000, '#0000ff'), instagramWith({ fit: 'pad' }));
    await expectInstagramReady(variant);
    expect([variant.width, variant.height]).toEqual([1440, 1800]);
    expectColour(await pixelAt(variant.data, 5, 900), [255, 255, 255]);
    expectColour(await pixelAt(variant.data, 720, 900), [0, 0, 255]);
  });

  it('pads with the background colour it is given', async () => {
    const variant = await makeImageVariant(await solidJpeg(3000, 1000, '#0000ff'), instagramWith({ fit: 'pad', background: '#000000' }));
    await expectInstagramReady(variant);
    expect([variant.width, variant.height]).toEqual([1440, 754]);
    expectColour(await pixelAt(variant.data, 720, 3), [0, 0, 0]);
    expectColour(await pixelAt(variant.data, 720, 377), [0, 0, 255]);
  });

  it('refuses a background that is not a colour before decoding', async () => {
    await expect(makeImageVariant(await solidJpeg(500, 500), instagramWith({ background: 'not-a-colour' }))).rejects.toThrow(RangeError);
  });

  it('reduces a large square to 1440 × 1440', async () => {
    const variant = await makeImageVariant(await solidJpeg(2000, 2000), INSTAGRAM_IMAGE_SPEC);
    await expectInstagramReady(variant);
    expect([variant.width, variant.height]).toEqual([1440, 1440]);
  });

  it('keeps a square inside the range at its own size', async () => {
    const variant = await makeImageVariant(await solidJpeg(800, 800), INSTAGRAM_IMAGE_SPEC);
    expect([variant.width, variant.height]).toEqual([800, 800]);
  });

  it('upscales a 100 × 100 image to 320 × 320', async () => {
    const variant = await makeImageVariant(await solidJpeg(100, 100), INSTAGRAM_IMAGE_SPEC);
    await expectInstagramReady(variant);
    expect([variant.width, variant.height]).toEqual([320, 320]);
  });

  it('flattens transparency onto white', async () => {
    const variant = await makeImageVariant(await halfTransparentPng(), INSTAGRAM_IMAGE_SPEC);
    await expectInstagramReady(variant);
    expectColour(await pixelAt(variant.data, 40, 160), [255, 255, 255]);
    expectColour(await pixelAt(variant.data, 280, 160), [255, 0, 0]);
  });

  it('converts a CMYK JPEG to sRGB', async () => {
    const source = await cmykJpeg();
    expect((await sharp(source).metadata()).space).toBe('cmyk');
    const variant = await makeImageVariant(source, INSTAGRAM_IMAGE_SPEC);
    await expectInstagramReady(variant);
    const [red = 0, green = 255, blue = 255] = await pixelAt(variant.data, 200, 200);
    expect(red).toBeGreaterThan(180);
    expect(green).toBeLessThan(60);
    expect(blue).toBeLessThan(60);
  });

  it('turns a greyscale image into three-channel sRGB', async () => {
    const source = await sharp({ create: { width: 500, height: 500, channels: 3, background: '#777777' } })
      .toColourspace('b-w')
      .jpeg()
      .toBuffer();
    expect((await sharp(source).metadata()).channels).toBe(1);
    await expectInstagramReady(await makeImageVariant(source, INSTAGRAM_IMAGE_SPEC));
  });

  it('takes the first frame of an animated GIF', async () => {
    const source = await animatedGif();
    expect((await sharp(source).metadata()).pages).toBe(2);
    const variant = await makeImageVariant(source, INSTAGRAM_IMAGE_SPEC);
    await expectInstagramReady(variant);
    expect([variant.width, variant.height]).toEqual([400, 400]);
    expect((await sharp(variant.data).metadata()).pages).toBeUndefined();
    expectColour(await pixelAt(variant.data, 200, 200), [255, 0, 0]);
  });

  it('accepts a 12000 × 300 panorama strip, cropped to 1.91:1', async () => {
    const variant = await makeImageVariant(await solidJpeg(12_000, 300), INSTAGRAM_IMAGE_SPEC);
    await expectInstagramReady(variant);
    expect([variant.width, variant.height]).toEqual([573, 300]);
  });

  it('turns the image upright by its EXIF orientation and strips EXIF and GPS', async () => {
    const source = await rotatedJpegWithGps();
    const before = await sharp(source).metadata();
    expect(before.orientation).toBe(6);
    expect(before.exif?.includes('Jane Photographer')).toBe(true);
    const variant = await makeImageVariant(source, INSTAGRAM_IMAGE_SPEC);
    await expectInstagramReady(variant);
    // Stored 600 × 300; upright it is 300 × 600, clamped to 4:5 → 320 wide after upscaling.
    expect([variant.width, variant.height]).toEqual([320, 400]);
    expectColour(await pixelAt(variant.data, 160, 20), [255, 0, 0]);
    expectColour(await pixelAt(variant.data, 160, 380), [0, 0, 255]);
    const after = await sharp(variant.data).metadata();
    expect(after.exif).toBeUndefined();
    expect(after.xmp).toBeUndefined();
    expect(variant.data.includes('Jane Photographer')).toBe(false);
  });

  it('lowers the quality step by step until the JPEG fits the budget', async () => {
    const source = await noiseJpeg(1440, 1440);
    const full = await makeImageVariant(source, INSTAGRAM_IMAGE_SPEC);
    const budget = Math.floor(full.data.length * 0.7);
    const smaller = await makeImageVariant(source, instagramWith({}, budget));
    await expectInstagramReady(smaller);
    expect(smaller.data.length).toBeLessThanOrEqual(budget);
    expect([smaller.width, smaller.height]).toEqual([1440, 1440]);
  });

  it('refuses, naming the budget, when even the lowest quality does not fit', async () => {
    const error = await makeImageVariant(await noiseJpeg(1440, 1440), instagramWith({}, 10_000)).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ImageVariantError);
    expect((error as ImageVariantError).reason).toBe('too_large');
    expect((error as ImageVariantError).message).toMatch(/10000 bytes/);
  });
});
