/**
 * Instagram's feed images (SPEC §4): a JPEG between 4:5 and 1.91:1, 320–1440 px wide, at most
 * 8 MB. Other shapes are cropped around the centre; transparency is flattened onto white.
 */
import type { ImageVariantSpec } from '../../media/image-variant.js';

/** Instagram's image variant, served as /media/:article/instagram.jpg for `image_url`. */
export const INSTAGRAM_IMAGE_SPEC: ImageVariantSpec = {
  name: 'instagram',
  format: 'jpeg',
  /** 8 MB, counted in decimal megabytes to stay under either reading of "MB". */
  maxBytes: 8_000_000,
  frame: { minAspect: 4 / 5, maxAspect: 1.91, minWidth: 320, maxWidth: 1440, fit: 'crop', background: '#ffffff' },
};
