/** The Mastodon channel's public surface: compose (pure), the channel, its error classifier, its image spec. */
export {
  composeMastodonPost,
  DEFAULT_MASTODON_TEMPLATE,
  MASTODON_CHANNEL,
  MASTODON_DESCRIPTION_MAX_LENGTH,
  type MastodonComposeOptions,
  type MastodonPost,
} from './compose.js';
export {
  createMastodonChannel,
  createMastodonComposer,
  MASTODON_FIND_LIMIT,
  type MastodonChannelOptions,
  type MastodonComposer,
  type MastodonComposerOptions,
} from './client.js';
export {
  classifyMastodonError,
  MASTODON_RATE_LIMIT_FALLBACK_MS,
  MastodonMediaProcessingError,
  MastodonRequestError,
  MastodonResponseError,
  type MastodonRequestInfo,
} from './errors.js';
export { DEFAULT_MASTODON_LIMITS, mastodonLength, type MastodonLimits } from './fit.js';
export { MASTODON_REQUEST_TIMEOUT_MS, type MastodonHttpOptions } from './http.js';
export { mastodonIdempotencyKey } from './idempotency-key.js';
export { MASTODON_LIMITS_RETRY_MS, MASTODON_LIMITS_TTL_MS } from './instance-limits.js';
export { MASTODON_MEDIA_FIRST_POLL_DELAY_MS, MASTODON_MEDIA_MAX_POLLS, type MastodonImage } from './media.js';
export { MASTODON_IMAGE_SPEC } from './image-spec.js';
