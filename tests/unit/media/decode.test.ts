import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { MAX_INPUT_PIXELS, decodeImage, encodeWithinBudget, toVariantError } from '../../../src/media/decode.js';
import { type ImageVariantFailure, ImageVariantError } from '../../../src/media/image-variant-error.js';
import { type ImageVariantSpec, makeImageVariant } from '../../../src/media/image-variant.js';
import { HTML, SVG, jpegClaiming, randomData, solidJpeg, truncatedJpeg } from '../../fixtures/images/make-images.js';

async function failureOf(promise: Promise<unknown>): Promise<ImageVariantError> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ImageVariantError);
  return error as ImageVariantError;
}

describe('decodeImage', () => {
  it('reports upright dimensions and the format found in the bytes', async () => {
    const decoded = await decodeImage(await solidJpeg(640, 480));
    expect(decoded).toMatchObject({ format: 'jpeg', width: 640, height: 480, hasAlpha: false });
  });

  it('refuses a header claiming more pixels than the limit without decoding', async () => {
    const error = await failureOf(decodeImage(await jpegClaiming(12_000, 12_000)));
    expect(error.reason).toBe('too_many_pixels');
    expect(error.message).toMatch(/12000 × 12000/);
  });

  it('refuses a real 121 MP PNG that compresses to a few hundred kilobytes', async () => {
    const bomb = await sharp({ create: { width: 11_000, height: 11_000, channels: 3, background: '#ffffff' } })
      .png({ compressionLevel: 9 })
      .toBuffer();
    expect(bomb.length).toBeLessThan(1_000_000);
    const error = await failureOf(decodeImage(bomb));
    expect(error.reason).toBe('too_many_pixels');
    expect(error.message).toMatch(/11000 × 11000/);
  });

  it('sets a limit above a 100 MP camera and below a 12000 px square', () => {
    expect(11_648 * 8_736).toBeLessThan(MAX_INPUT_PIXELS);
    expect(12_000 * 12_000).toBeGreaterThan(MAX_INPUT_PIXELS);
  });
});

describe('encodeWithinBudget', () => {
  it('returns the first attempt that fits', async () => {
    const source = await solidJpeg(400, 400);
    const tried: number[] = [];
    const attempt = (quality: number) => () => {
      tried.push(quality);
      return sharp(source).jpeg({ quality });
    };
    const { info } = await encodeWithinBudget([attempt(90), attempt(50), attempt(10)], 1_000_000);
    expect(info.format).toBe('jpeg');
    expect(tried).toEqual([90]);
  });
});

describe('toVariantError', () => {
  it('names a truncated image as truncated', () => {
    const error = toVariantError(new Error('VipsJpeg: premature end of JPEG image'));
    expect(error.reason).toBe('corrupt');
    expect(error.message).toMatch(/truncated/);
  });
});

const FRAMED: ImageVariantSpec = {
  name: 'framed',
  format: 'jpeg',
  maxBytes: 8_000_000,
  frame: { minAspect: 0.8, maxAspect: 1.91, minWidth: 320, maxWidth: 1440 },
};
const CAPPED: ImageVariantSpec = { name: 'capped', format: 'jpeg-or-png', maxBytes: 5_000_000, maxLongestSide: 4096 };

// Every spec shares the decoder, so each must refuse the same inputs the same way.
describe.each([
  ['a framed JPEG spec', (data: Buffer) => makeImageVariant(data, FRAMED)],
  ['a capped JPEG-or-PNG spec', (data: Buffer) => makeImageVariant(data, CAPPED)],
])('makeImageVariant with %s refuses what it cannot decode', (_name, makeVariant) => {
  const cases: Array<[string, () => Promise<Buffer> | Buffer, ImageVariantFailure, RegExp]> = [
    ['a decompression bomb (60000 × 60000 in a few hundred bytes)', () => jpegClaiming(60_000, 60_000), 'too_many_pixels', /pixel limit/],
    ['a truncated JPEG', truncatedJpeg, 'corrupt', /truncated/],
    ['an SVG', () => SVG, 'unsupported_format', /SVG/],
    ['random bytes', () => randomData(), 'not_an_image', /not an image/],
    ['an HTML page', () => HTML, 'not_an_image', /not an image/],
    ['an empty buffer', () => Buffer.alloc(0), 'not_an_image', /not an image/],
  ];

  it.each(cases)('%s', async (_label, make, reason, message) => {
    const error = await failureOf(makeVariant(await make()));
    expect(error.reason).toBe(reason);
    expect(error.message).toMatch(message);
  });
});
