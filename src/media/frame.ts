/**
 * The size of an Instagram image (SPEC §4: 4:5 to 1.91:1, 320–1440 px wide), as pure
 * arithmetic so it can be checked for every input size.
 */

/** Instagram's limits for feed images. */
export const INSTAGRAM_IMAGE_LIMITS = {
  /** Tallest accepted shape, width / height (4:5). */
  minAspectRatio: 0.8,
  /** Widest accepted shape, width / height. */
  maxAspectRatio: 1.91,
  minWidth: 320,
  maxWidth: 1440,
  /** 8 MB, counted in decimal megabytes to stay under either reading of "MB". */
  maxBytes: 8_000_000,
} as const;

/** How an image outside the accepted shapes is brought inside: cut around the centre, or padded. */
export type InstagramFit = 'crop' | 'pad';

/**
 * The output size for a `width` × `height` (upright) source: the aspect ratio clamped into
 * 4:5 … 1.91:1, then scaled so the width is 320–1440 (small images upscaled, big ones reduced).
 */
export function planInstagramSize(width: number, height: number, fit: InstagramFit): { width: number; height: number } {
  const { minAspectRatio, maxAspectRatio, minWidth, maxWidth } = INSTAGRAM_IMAGE_LIMITS;
  const ratio = clamp(width / height, minAspectRatio, maxAspectRatio);
  // Source pixels across the kept region (crop) or the padded canvas (pad).
  const frameWidth = fit === 'crop' ? Math.min(width, height * ratio) : Math.max(width, height * ratio);
  const outWidth = clamp(Math.round(frameWidth), minWidth, maxWidth);
  let outHeight = Math.max(1, Math.round(outWidth / ratio));
  // Rounding the height may nudge the shape just outside the limits; one pixel brings it back.
  if (outWidth / outHeight > maxAspectRatio) outHeight += 1;
  if (outWidth / outHeight < minAspectRatio) outHeight -= 1;
  return { width: outWidth, height: outHeight };
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}
