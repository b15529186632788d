/**
 * Media: fetching an article's image safely and re-encoding it as a channel's image spec says.
 * Media is not a channel and names none: each platform declares its spec in its own folder.
 */
export { fetchImage, type FetchImageOptions, type FetchedImage } from './fetch-image.js';
export type { AddressPolicy, ResolveHostname } from './guarded-lookup.js';
export { ImageFetchError, type ImageFetchFailure } from './image-fetch-error.js';
export { ImageVariantError, type ImageVariantFailure } from './image-variant-error.js';
export { isPublicAddress } from './ip-address.js';
export { MAX_INPUT_PIXELS } from './decode.js';
export { type FrameFit, type ImageFrame, planFrameSize } from './frame.js';
export { makeImageVariant, type ImageVariant, type ImageVariantSpec } from './image-variant.js';
