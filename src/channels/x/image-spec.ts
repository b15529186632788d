/**
 * X's images: it takes JPEG, PNG, GIF or WebP up to 5 MB; we send a still JPEG (PNG when it has
 * transparency), longest side at most 4096 px.
 */
import type { ImageVariantSpec } from '../../media/image-variant.js';

/** X's image variant, stored and served as /media/:article/x.jpg (or .png). */
export const X_IMAGE_SPEC: ImageVariantSpec = {
  name: 'x',
  format: 'jpeg-or-png',
  /** 5 MB, counted in decimal megabytes to stay under either reading of "MB". */
  maxBytes: 5_000_000,
  maxLongestSide: 4096,
};
