/** The Bluesky channel's public surface: compose (pure), the channel, its error classifier. */
export {
  BLUESKY_CHANNEL,
  BLUESKY_LINK_DISPLAY_GRAPHEMES,
  BLUESKY_TAG_MAX_BYTES,
  BLUESKY_TAG_MAX_GRAPHEMES,
  composeBlueskyPost,
  DEFAULT_BLUESKY_TEMPLATE,
  isBlueskyHashtag,
  shortenLink,
  type BlueskyComposeOptions,
  type BlueskyEmbed,
  type BlueskyPost,
} from './compose.js';
export {
  BLUESKY_POST_COLLECTION,
  BLUESKY_REQUEST_TIMEOUT_MS,
  blueskyPostUrl,
  createBlueskyChannel,
  createBlueskyComposer,
  type BlueskyChannelOptions,
  type BlueskyImage,
} from './client.js';
export { BLUESKY_RATE_LIMIT_FALLBACK_MS, BlueskyImageError, BlueskyRecordKeyError, classifyBlueskyError } from './errors.js';
export { byteSlice, textAtByteSlice, utf8Length, type BlueskyFacet, type ByteSlice } from './facets.js';
export { BLUESKY_MAX_BYTES, BLUESKY_MAX_GRAPHEMES, countGraphemes } from './fit.js';
export { BLUESKY_IMAGE_SPEC } from './image-spec.js';
export { BLUESKY_RECORD_KEY_CANDIDATES, blueskyRecordKey, isValidTid } from './record-key.js';
