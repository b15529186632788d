/**
 * Media: fetching an article's image safely and re-encoding it for the channels. Media is not a
 * channel: the composition root prepares images here and hands the variants to the channels.
 */
export { fetchImage, type FetchImageOptions, type FetchedImage } from './fetch-image.js';
export type { AddressPolicy, ResolveHostname } from './guarded-lookup.js';
export { ImageFetchError, type ImageFetchFailure } from './image-fetch-error.js';
export { ImageVariantError, type ImageVariantFailure } from './image-variant-error.js';
export { isPublicAddress } from './ip-address.js';
export { MAX_INPUT_PIXELS } from './decode.js';
export { INSTAGRAM_IMAGE_LIMITS, type InstagramFit } from './instagram-frame.js';
export { makeInstagramVariant, type InstagramVariant, type InstagramVariantOptions } from './instagram-variant.js';
export { makeXVariant, X_IMAGE_LIMITS, type XVariant, type XVariantOptions } from './x-variant.js';
