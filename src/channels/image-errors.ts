import { ImageFetchError } from '../media/image-fetch-error.js';
import { ImageVariantError } from '../media/image-variant-error.js';
import type { ErrorClass } from './channel.js';

/**
 * An image we refused (a private address, not an image, undecodable) is refused again on every
 * attempt: permanent. A time-out or a 5xx from the image's host may pass: retry.
 */
export function classifyImageError(error: unknown): ErrorClass | null {
  if (error instanceof ImageFetchError) {
    return { kind: error.retryable ? 'retry' : 'permanent', message: `article image: ${error.message}` };
  }
  if (error instanceof ImageVariantError) return { kind: 'permanent', message: `article image: ${error.message}` };
  return null;
}
