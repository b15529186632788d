/**
 * The X variant of an article's image: X takes JPEG, PNG, GIF or WebP up to 5 MB; we send a
 * still JPEG (PNG when it has transparency), longest side at most 4096 px, without metadata.
 */
import type { Sharp } from 'sharp';
import { type DecodedImage, decodeImage, encodeWithinBudget, toVariantError } from './decode.js';

/** X's limits for uploaded images. */
export const X_IMAGE_LIMITS = {
  maxLongestSide: 4096,
  /** 5 MB, counted in decimal megabytes to stay under either reading of "MB". */
  maxBytes: 5_000_000,
} as const;

/** Options of {@link makeXVariant}. */
export interface XVariantOptions {
  /** Byte budget; lowered only to test the fallbacks. @defaultValue 5 000 000 */
  maxBytes?: number;
}

/** An image ready for X's media upload. */
export interface XVariant {
  data: Buffer;
  mimeType: 'image/jpeg' | 'image/png';
  width: number;
  height: number;
}

// Fallbacks when the first encoding is too big: lower quality, then smaller sides.
const JPEG_STEPS = [
  { scale: 1, quality: 85 },
  { scale: 1, quality: 75 },
  { scale: 1, quality: 65 },
  { scale: 0.75, quality: 65 },
  { scale: 0.5, quality: 65 },
] as const;
const PNG_STEPS = [
  { scale: 1, palette: false },
  { scale: 1, palette: true },
  { scale: 0.75, palette: true },
  { scale: 0.5, palette: true },
] as const;

/**
 * Re-encodes `data` for X: upright, first frame of an animation, sRGB, EXIF and GPS dropped,
 * longest side ≤ 4096, ≤ 5 MB. Throws {@link ImageVariantError}.
 */
export async function makeXVariant(data: Buffer, options: XVariantOptions = {}): Promise<XVariant> {
  const decoded = await decodeImage(data);
  const longest = Math.min(X_IMAGE_LIMITS.maxLongestSide, Math.max(decoded.width, decoded.height));
  const maxBytes = options.maxBytes ?? X_IMAGE_LIMITS.maxBytes;
  if (await isTransparent(decoded)) {
    const attempts = PNG_STEPS.map(
      (step) => () => resized(decoded, longest * step.scale).png({ compressionLevel: 9, palette: step.palette }),
    );
    const { data: png, info } = await encodeWithinBudget(attempts, maxBytes);
    return { data: png, mimeType: 'image/png', width: info.width, height: info.height };
  }
  const attempts = JPEG_STEPS.map(
    (step) => () =>
      resized(decoded, longest * step.scale)
        .flatten({ background: '#ffffff' })
        .jpeg({ quality: step.quality, chromaSubsampling: '4:2:0' }),
  );
  const { data: jpeg, info } = await encodeWithinBudget(attempts, maxBytes);
  return { data: jpeg, mimeType: 'image/jpeg', width: info.width, height: info.height };
}

function resized(decoded: DecodedImage, longestSide: number): Sharp {
  const side = Math.max(1, Math.round(longestSide));
  return decoded.image.clone().resize(side, side, { fit: 'inside', withoutEnlargement: true }).toColourspace('srgb');
}

// Many PNGs carry an alpha channel that is opaque everywhere; those are better as JPEG.
async function isTransparent(decoded: DecodedImage): Promise<boolean> {
  if (!decoded.hasAlpha) return false;
  try {
    return !(await decoded.image.clone().stats()).isOpaque;
  } catch (error) {
    throw toVariantError(error);
  }
}
