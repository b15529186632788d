/**
 * The size of an image brought into a frame (a range of shapes and widths, such as a feed's
 * 4:5 to 1.91:1, 320–1440 px wide), as pure arithmetic so it can be checked for every input size.
 */

/** How an image outside the frame's shapes is brought inside: cut around the centre, or padded. */
export type FrameFit = 'crop' | 'pad';

/** The shapes and widths an image must have, and how it is brought to them. */
export interface ImageFrame {
  /** Tallest accepted shape, width / height (4:5 is 0.8). */
  readonly minAspect: number;
  /** Widest accepted shape, width / height. */
  readonly maxAspect: number;
  /** Narrowest output in pixels; smaller images are enlarged to it. */
  readonly minWidth: number;
  /** Widest output in pixels; bigger images are reduced to it. */
  readonly maxWidth: number;
  /** Cut around the centre, or pad with `background`. @defaultValue 'crop' */
  readonly fit?: FrameFit;
  /** Colour of the padding and behind transparency in a JPEG, as CSS understands it. @defaultValue '#ffffff' */
  readonly background?: string;
}

/**
 * The output size for a `width` × `height` (upright) source: the aspect ratio clamped into the
 * frame's shapes, then scaled so the width is inside its widths (small images enlarged, big ones
 * reduced) and, when `maxLongestSide` is given, neither side is longer.
 */
export function planFrameSize(
  width: number,
  height: number,
  frame: ImageFrame,
  maxLongestSide = Number.POSITIVE_INFINITY,
): { width: number; height: number } {
  const { minAspect, maxAspect, minWidth } = frame;
  const ratio = clamp(width / height, minAspect, maxAspect);
  // Source pixels across the kept region (crop) or the padded canvas (pad).
  const frameWidth = (frame.fit ?? 'crop') === 'crop' ? Math.min(width, height * ratio) : Math.max(width, height * ratio);
  // The longest side caps the width, and the height through the ratio (a tall frame).
  const maxWidth = Math.min(frame.maxWidth, maxLongestSide, Math.floor(maxLongestSide * ratio));
  const outWidth = clamp(Math.round(frameWidth), minWidth, maxWidth);
  let outHeight = Math.max(1, Math.round(outWidth / ratio));
  // Rounding the height may nudge the shape just outside the limits; one pixel brings it back.
  if (outWidth / outHeight > maxAspect) outHeight += 1;
  if (outWidth / outHeight < minAspect) outHeight -= 1;
  return { width: outWidth, height: outHeight };
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}
