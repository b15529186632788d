/**
 * An article's image re-encoded as one platform declares (its {@link ImageVariantSpec}): a still
 * JPEG (or PNG, to keep transparency), upright, sRGB, without metadata, within the platform's
 * sides, shapes and bytes. Media knows no platform; each platform's folder holds its spec.
 */
import type { Sharp } from 'sharp';
import { type DecodedImage, decodeImage, encodeWithinBudget, toVariantError } from './decode.js';
import { type ImageFrame, planFrameSize } from './frame.js';
import { loadSharp } from './sharp.js';

/** What a platform accepts, declared in its own folder (for example `channels/x/image-spec.ts`). */
export interface ImageVariantSpec {
  /** The variant's name: its row in the media table and its URL, /media/:article/:name.jpg (or .png). */
  readonly name: string;
  /** 'jpeg' always; 'jpeg-or-png': PNG when the image has real transparency. */
  readonly format: 'jpeg' | 'jpeg-or-png';
  /** Byte budget; quality (then size) steps down until the encoding fits. */
  readonly maxBytes: number;
  /** Longest side in pixels (never enlarged). */
  readonly maxLongestSide?: number;
  /** A frame the image is brought into: aspect ratio range (width/height) and width range, by cropping around the centre or padding. */
  readonly frame?: ImageFrame;
}

/** An image ready for a platform's upload. */
export interface ImageVariant {
  data: Buffer;
  mimeType: 'image/jpeg' | 'image/png';
  width: number;
  height: number;
}

/** One encoding attempt: the size as a share of the planned one, and the encoder. */
interface Step {
  scale: number;
  encode(image: Sharp, background: string): Sharp;
}

const jpegAt = (scale: number, quality: number): Step => ({
  scale,
  encode: (image, background) => image.flatten({ background }).jpeg({ quality, chromaSubsampling: '4:2:0' }),
});
const pngAt = (scale: number, palette: boolean): Step => ({ scale, encode: (image) => image.png({ compressionLevel: 9, palette }) });

// Tried in order until the encoding fits. A frame fixes the size, so a framed image only lowers
// its quality; an unframed one lowers quality to 65, then its size. Even a 2000 px square of
// noise fits 1 MB by ¾ size.
const JPEG_STEPS = [jpegAt(1, 85), jpegAt(1, 75), jpegAt(1, 65), jpegAt(0.75, 65), jpegAt(0.5, 65)];
const FRAMED_JPEG_STEPS = [85, 75, 65, 55, 45].map((quality) => jpegAt(1, quality));
// PNG quantised to a palette before it is shrunk.
const PNG_STEPS = [pngAt(1, false), pngAt(1, true), pngAt(0.75, true), pngAt(0.5, true)];
const FRAMED_PNG_STEPS = [pngAt(1, false), pngAt(1, true)];

const DEFAULT_BACKGROUND = '#ffffff';

/**
 * Re-encodes `data` (JPEG, PNG, GIF, WebP, AVIF or TIFF) as `spec` says: EXIF orientation
 * applied, then metadata (EXIF, GPS, ICC) dropped; first frame of an animation; CMYK and other
 * colour spaces converted to sRGB; transparency kept as PNG (`jpeg-or-png`) or flattened onto
 * the frame's background (white without a frame); brought into the frame or under the longest
 * side; quality, then size, stepped down until it fits `maxBytes`.
 *
 * Throws RangeError, before decoding anything, when `spec` itself is impossible (a bad colour,
 * a frame no size fits), and {@link ImageVariantError} when the image cannot be decoded or no
 * encoding fits the budget.
 */
export async function makeImageVariant(data: Buffer, spec: ImageVariantSpec): Promise<ImageVariant> {
  await checkSpec(spec);
  const decoded = await decodeImage(data);
  const png = spec.format === 'jpeg-or-png' && (await isTransparent(decoded));
  const background = spec.frame?.background ?? DEFAULT_BACKGROUND;
  const steps = spec.frame ? (png ? FRAMED_PNG_STEPS : FRAMED_JPEG_STEPS) : png ? PNG_STEPS : JPEG_STEPS;
  const attempts = steps.map((step) => () => step.encode(resized(decoded, spec, step.scale), background));
  const { data: encoded, info } = await encodeWithinBudget(attempts, spec.maxBytes);
  return { data: encoded, mimeType: png ? 'image/png' : 'image/jpeg', width: info.width, height: info.height };
}

/** A fresh pipeline of the upright image at its planned size (times `scale`), in sRGB. */
function resized(decoded: DecodedImage, spec: ImageVariantSpec, scale: number): Sharp {
  const image = decoded.image.clone();
  const { frame } = spec;
  if (frame) {
    const size = planFrameSize(decoded.width, decoded.height, frame, spec.maxLongestSide);
    const fit = (frame.fit ?? 'crop') === 'crop' ? 'cover' : 'contain';
    const background = frame.background ?? DEFAULT_BACKGROUND;
    return image
      .resize(Math.round(size.width * scale), Math.round(size.height * scale), { fit, position: 'centre', background })
      .toColourspace('srgb');
  }
  const longest = Math.min(spec.maxLongestSide ?? Number.POSITIVE_INFINITY, Math.max(decoded.width, decoded.height));
  const side = Math.max(1, Math.round(longest * scale));
  return image.resize(side, side, { fit: 'inside', withoutEnlargement: true }).toColourspace('srgb');
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

// A spec no image can satisfy is the caller's mistake, not the image's: say so before decoding.
async function checkSpec(spec: ImageVariantSpec): Promise<void> {
  const fail = (problem: string): never => {
    throw new RangeError(`image variant ${JSON.stringify(spec.name)}: ${problem}`);
  };
  if (!(spec.maxBytes > 0)) fail(`maxBytes ${spec.maxBytes} is not a positive number`);
  const longest = spec.maxLongestSide;
  if (longest !== undefined && !(Number.isInteger(longest) && longest >= 1)) fail(`maxLongestSide ${longest} is not a positive integer`);
  const { frame } = spec;
  if (!frame) return;
  const { minAspect, maxAspect, minWidth, maxWidth } = frame;
  if (!(minAspect > 0 && minAspect <= maxAspect && Number.isFinite(maxAspect))) fail(`aspect range ${minAspect}…${maxAspect} is empty`);
  if (!(Number.isInteger(minWidth) && Number.isInteger(maxWidth) && minWidth >= 1 && minWidth <= maxWidth)) {
    fail(`width range ${minWidth}…${maxWidth} is not whole pixels from 1 up`);
  }
  if (longest !== undefined && longest * Math.min(1, minAspect) < minWidth) {
    fail(`no ${minWidth} px wide image of the tallest shape fits a longest side of ${longest} px`);
  }
  const background = frame.background ?? DEFAULT_BACKGROUND;
  const sharp = await loadSharp();
  try {
    sharp().flatten({ background });
  } catch (error) {
    throw new RangeError(`background ${JSON.stringify(background)} is not a colour`, { cause: error });
  }
}
