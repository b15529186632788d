/** The X channel's public surface: compose (pure), the channel, its error classifier. */
export { composeXPost, DEFAULT_X_TEMPLATE, X_ALT_TEXT_MAX_LENGTH, X_CHANNEL, type XComposeOptions, type XPost } from './compose.js';
export {
  createXChannel,
  createXComposer,
  X_FIND_LIMIT,
  X_REQUEST_TIMEOUT_MS,
  X_RETRACT_REPLY_SEARCH_LIMIT,
  xPostUrl,
  type XChannelOptions,
  type XComposer,
  type XCredentials,
  type XImage,
} from './client.js';
export { classifyXError, X_RATE_LIMIT_FALLBACK_MS, XResponseError } from './errors.js';
export { createBaseUrlPlugin, type BaseUrlPluginOptions } from './base-url.js';
export { hashtagFromTag, hashtagsFromTags } from './hashtags.js';
export { X_MAX_WEIGHTED_LENGTH } from './fit.js';
