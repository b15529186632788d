/**
 * Opening untrusted image bytes with sharp, in one place for every variant: which formats, how
 * many pixels, how strict about damage, which frame, which way up.
 */
import { loadSharp } from './sharp.js';
import type { OutputInfo, Sharp } from 'sharp';
import { type ImageFormat, sniffImageFormat } from './image-format.js';
import { ImageVariantError } from './image-variant-error.js';

/**
 * The most pixels (width × height) we decode: above a 100 MP camera (11648 × 8736), below a
 * 12000 × 12000 square, so a small file claiming huge dimensions (a decompression bomb) is
 * refused before its pixels are allocated.
 */
export const MAX_INPUT_PIXELS = 120_000_000;

/** An image ready for a variant's pipeline. */
export interface DecodedImage {
  /** Upright (EXIF orientation applied), first frame only; clone it for each pipeline. */
  image: Sharp;
  format: ImageFormat;
  /** Upright width in pixels. */
  width: number;
  /** Upright height in pixels (of the first frame). */
  height: number;
  /** Whether it has an alpha channel (possibly fully opaque). */
  hasAlpha: boolean;
}

/**
 * Opens `data` for re-encoding. Only JPEG, PNG, GIF, WebP, AVIF and TIFF, recognised by their
 * bytes, reach the decoder; SVG never does (scripts, external references). Throws
 * {@link ImageVariantError}.
 */
export async function decodeImage(data: Buffer): Promise<DecodedImage> {
  const format = sniffImageFormat(data);
  if (format === 'svg')
    throw new ImageVariantError('unsupported_format', 'SVG images are not accepted; supply a JPEG, PNG, GIF, WebP, AVIF or TIFF');
  if (format === 'unknown') throw new ImageVariantError('not_an_image', 'the data is not an image (JPEG, PNG, GIF, WebP, AVIF or TIFF)');
  const sharp = await loadSharp();
  const image = sharp(data, {
    // 'error' refuses truncated and damaged data yet tolerates the harmless warnings many
    // cameras' JPEGs raise ('warning' would refuse those).
    failOn: 'error',
    limitInputPixels: MAX_INPUT_PIXELS,
    autoOrient: true,
    // Animations become their first frame.
    pages: 1,
    page: 0,
  });
  const metadata = await image.metadata().catch(async (error: unknown) => {
    const refused = toVariantError(error);
    if (refused.reason !== 'too_many_pixels') throw refused;
    // Reading the header alone allocates no pixels, and lets the message give the dimensions.
    const claimed = await sharp(data, { limitInputPixels: false, pages: 1 })
      .metadata()
      .catch(() => null);
    throw claimed ? tooManyPixels(claimed.width, claimed.height) : refused;
  });
  const { width, height } = metadata.autoOrient;
  if (!(width > 0 && height > 0)) throw new ImageVariantError('corrupt', 'the image has no dimensions');
  if (width * height > MAX_INPUT_PIXELS) throw tooManyPixels(width, height);
  return { image, format, width, height, hasAlpha: metadata.hasAlpha };
}

/**
 * Runs `attempts` in order (each a fresh pipeline, better quality first) and returns the first
 * output of at most `maxBytes`. Throws `too_large` when none fits.
 */
export async function encodeWithinBudget(
  attempts: ReadonlyArray<() => Sharp>,
  maxBytes: number,
): Promise<{ data: Buffer; info: OutputInfo }> {
  let smallest = Number.POSITIVE_INFINITY;
  for (const attempt of attempts) {
    const output = await runPipeline(attempt);
    if (output.data.length <= maxBytes) return output;
    smallest = Math.min(smallest, output.data.length);
  }
  throw new ImageVariantError('too_large', `the image cannot be encoded in ${maxBytes} bytes (smallest attempt: ${smallest} bytes)`);
}

/** Runs one pipeline, turning sharp's errors into {@link ImageVariantError}. */
export async function runPipeline(build: () => Sharp): Promise<{ data: Buffer; info: OutputInfo }> {
  try {
    return await build().toBuffer({ resolveWithObject: true });
  } catch (error) {
    throw toVariantError(error);
  }
}

/** sharp's error as an {@link ImageVariantError} with a reason and a plain message. */
export function toVariantError(error: unknown): ImageVariantError {
  if (error instanceof ImageVariantError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (/pixel limit/i.test(message)) {
    return new ImageVariantError('too_many_pixels', `the image has more pixels than the ${MAX_INPUT_PIXELS} pixel limit`, { cause: error });
  }
  const truncated = /premature end|truncat|unexpected end|short read|not enough data/i.test(message);
  return new ImageVariantError(
    'corrupt',
    `the image data is ${truncated ? 'truncated' : 'damaged'} and cannot be decoded (${message.trim()})`,
    {
      cause: error,
    },
  );
}

function tooManyPixels(width: number, height: number): ImageVariantError {
  return new ImageVariantError(
    'too_many_pixels',
    `the image is ${width} × ${height} pixels, more than the ${MAX_INPUT_PIXELS} pixel limit`,
  );
}
