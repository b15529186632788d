/** An article image we refused is refused again on every attempt: permanent, not five retries (#9 finding 10). */
import { describe, expect, it } from 'vitest';
import { classifyImageError } from '../../../src/channels/image-errors.js';
import { ImageFetchError } from '../../../src/media/image-fetch-error.js';
import { ImageVariantError } from '../../../src/media/image-variant-error.js';

describe('classifyImageError', () => {
  it.each([
    new ImageFetchError('private_address', 'http://10.0.0.1/a.jpg resolves to a private address'),
    new ImageFetchError('not_an_image', 'text/html is not an image'),
    new ImageFetchError('http_status', 'answered 404', 404),
    new ImageVariantError('corrupt', 'truncated JPEG'),
    new ImageVariantError('too_many_pixels', 'a decompression bomb'),
  ])('fails $reason at once', (error) => {
    expect(classifyImageError(error)).toEqual({ kind: 'permanent', message: `article image: ${error.message}` });
  });

  it.each([new ImageFetchError('timeout', 'no answer in 10 s'), new ImageFetchError('http_status', 'answered 503', 503)])(
    'retries $reason, which may pass',
    (error) => {
      expect(classifyImageError(error)?.kind).toBe('retry');
    },
  );

  it("leaves the platform's own errors to the channel", () => {
    expect(classifyImageError(new Error('socket hang up'))).toBeNull();
  });
});
