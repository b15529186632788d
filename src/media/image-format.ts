/**
 * Telling image formats apart by their first bytes, never by a name or a header someone else
 * chose: an HTML page served as image/jpeg is still HTML.
 */

/** The raster formats we fetch and decode. */
export type ImageFormat = 'jpeg' | 'png' | 'gif' | 'webp' | 'avif' | 'tiff';

/** What the first bytes say: a supported format, SVG (refused on purpose), or unknown. */
export type SniffedFormat = ImageFormat | 'svg' | 'unknown';

/** The MIME type of each supported format. */
export const IMAGE_MIME_TYPES: Readonly<Record<ImageFormat, string>> = {
  jpeg: 'image/jpeg',
  png: 'image/png',
  gif: 'image/gif',
  webp: 'image/webp',
  avif: 'image/avif',
  tiff: 'image/tiff',
};

// Content-Type values servers use for the supported formats, including common non-standard ones.
const CONTENT_TYPE_FORMATS: ReadonlyMap<string, ImageFormat> = new Map([
  ['image/jpeg', 'jpeg'],
  ['image/jpg', 'jpeg'],
  ['image/pjpeg', 'jpeg'],
  ['image/png', 'png'],
  ['image/x-png', 'png'],
  ['image/apng', 'png'],
  ['image/gif', 'gif'],
  ['image/webp', 'webp'],
  ['image/avif', 'avif'],
  ['image/tiff', 'tiff'],
]);

/**
 * Classifies a Content-Type header: a supported format, `'other-image'` (image/* we refuse, such
 * as image/svg+xml or image/bmp) or `'not-image'` (text/html, missing, …).
 */
export function classifyContentType(header: string | undefined): ImageFormat | 'other-image' | 'not-image' {
  const mediaType = (header ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  const format = CONTENT_TYPE_FORMATS.get(mediaType);
  if (format) return format;
  return mediaType.startsWith('image/') ? 'other-image' : 'not-image';
}

/** The format `data` is in, judged by its magic bytes. */
export function sniffImageFormat(data: Uint8Array): SniffedFormat {
  const starts = (offset: number, ...bytes: number[]): boolean => bytes.every((byte, index) => data[offset + index] === byte);
  const ascii = (offset: number, text: string): boolean => starts(offset, ...Array.from(text, (char) => char.charCodeAt(0)));
  if (starts(0, 0xff, 0xd8, 0xff)) return 'jpeg';
  if (starts(0, 0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return 'png';
  if (ascii(0, 'GIF87a') || ascii(0, 'GIF89a')) return 'gif';
  if (ascii(0, 'RIFF') && ascii(8, 'WEBP')) return 'webp';
  if (starts(0, 0x49, 0x49, 0x2a, 0x00) || starts(0, 0x4d, 0x4d, 0x00, 0x2a)) return 'tiff';
  if (ascii(4, 'ftyp') && isAvifBrand(data)) return 'avif';
  if (looksLikeSvg(data)) return 'svg';
  return 'unknown';
}

/** Whether an ISO-BMFF `ftyp` box names AVIF as its major or a compatible brand. */
function isAvifBrand(data: Uint8Array): boolean {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (data.byteLength < 16) return false;
  const boxSize = Math.min(view.getUint32(0), data.byteLength);
  const brand = (offset: number): string => String.fromCharCode(...data.subarray(offset, offset + 4));
  // Major brand at 8, minor version at 12, compatible brands from 16 to the box's end.
  for (let offset = 8; offset + 4 <= boxSize; offset += offset === 8 ? 8 : 4) {
    if (brand(offset) === 'avif' || brand(offset) === 'avis') return true;
  }
  return false;
}

/** Markup with an <svg> element near the start; other markup (HTML, an XML error page) is not. */
function looksLikeSvg(data: Uint8Array): boolean {
  const head = Buffer.from(data.subarray(0, 1024))
    .toString('utf8')
    .replace(/^\uFEFF/, '')
    .trimStart()
    .toLowerCase();
  return head.startsWith('<') && head.includes('<svg');
}
