/** Why an image could not be made into a channel's variant (STYLE: small typed errors). */

/** The reasons {@link ImageVariantError} carries. */
export type ImageVariantFailure =
  /** The bytes are no image format at all (HTML, random data, empty). */
  | 'not_an_image'
  /** A format we do not decode: SVG (untrusted scripts and references), BMP, HEIC, PDF… */
  | 'unsupported_format'
  /** Width × height is past the decoder's pixel limit: a decompression bomb or a giant scan. */
  | 'too_many_pixels'
  /** The decoder refused the data: truncated or damaged. */
  | 'corrupt'
  /** No encoding attempt fitted the byte budget. */
  | 'too_large';

/** A failed variant: `reason` for code, the message for people. Never retryable as is. */
export class ImageVariantError extends Error {
  constructor(
    readonly reason: ImageVariantFailure,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ImageVariantError';
  }
}
