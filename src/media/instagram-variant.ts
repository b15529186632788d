/**
 * The Instagram variant of an article's image (SPEC §4): a JPEG between 4:5 and 1.91:1,
 * 320–1440 px wide, at most 8 MB, upright, sRGB, without metadata.
 */
import { loadSharp } from './sharp.js';
import { decodeImage, encodeWithinBudget } from './decode.js';
import { INSTAGRAM_IMAGE_LIMITS, type InstagramFit, planInstagramSize } from './instagram-frame.js';

/** Options of {@link makeInstagramVariant}. */
export interface InstagramVariantOptions {
  /** Bring other shapes into range by cropping around the centre, or by padding. @defaultValue 'crop' */
  fit?: InstagramFit;
  /** Colour behind transparency and of the padding, as CSS understands it. @defaultValue '#ffffff' */
  background?: string;
  /** Byte budget; lowered only to test the quality steps. @defaultValue 8 000 000 */
  maxBytes?: number;
}

/** A JPEG ready for Instagram's `image_url`. */
export interface InstagramVariant {
  data: Buffer;
  width: number;
  height: number;
  mimeType: 'image/jpeg';
}

// Quality steps tried in order until the JPEG fits the budget.
const QUALITIES = [85, 75, 65, 55, 45] as const;

/**
 * Re-encodes `data` (JPEG, PNG, GIF, WebP, AVIF or TIFF) for Instagram: EXIF orientation
 * applied, then metadata (EXIF, GPS, ICC) dropped; first frame of an animation; transparency
 * flattened onto `background`; CMYK and other colour spaces converted to sRGB. Throws
 * {@link ImageVariantError} when the image cannot be decoded or does not fit the budget.
 */
export async function makeInstagramVariant(data: Buffer, options: InstagramVariantOptions = {}): Promise<InstagramVariant> {
  const fit = options.fit ?? 'crop';
  const background = options.background ?? '#ffffff';
  await checkColour(background);
  const decoded = await decodeImage(data);
  const size = planInstagramSize(decoded.width, decoded.height, fit);
  const attempts = QUALITIES.map(
    (quality) => () =>
      decoded.image
        .clone()
        .flatten({ background })
        .resize(size.width, size.height, { fit: fit === 'crop' ? 'cover' : 'contain', position: 'centre', background })
        .toColourspace('srgb')
        .jpeg({ quality, chromaSubsampling: '4:2:0' }),
  );
  const { data: jpeg, info } = await encodeWithinBudget(attempts, options.maxBytes ?? INSTAGRAM_IMAGE_LIMITS.maxBytes);
  return { data: jpeg, width: info.width, height: info.height, mimeType: 'image/jpeg' };
}

// A bad colour is the caller's mistake, not the image's: say so before decoding anything.
async function checkColour(background: string): Promise<void> {
  const sharp = await loadSharp();
  try {
    sharp().flatten({ background });
  } catch (error) {
    throw new RangeError(`background ${JSON.stringify(background)} is not a colour`, { cause: error });
  }
}
