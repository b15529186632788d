/**
 * Fitting text into X's limit, measured the way X measures it: `twitter-text`'s weighted
 * length (every URL 23, CJK and emoji 2, NFC-normalised). Cuts land only where
 * `Intl.Segmenter` puts a word boundary, so no word, grapheme or surrogate pair is split.
 */
import twitterText from '../../domain/twitter-text.js';

/** X's limit for a post, in weighted characters. */
export const X_MAX_WEIGHTED_LENGTH = 280;

/** X's weighted length of `text`. */
export function weightedLength(text: string): number {
  return twitterText.parseTweet(text).weightedLength;
}

/** True when X would accept `text` as a post: not empty, no invalid characters, ≤ 280 weighted. */
export function isPostable(text: string): boolean {
  return twitterText.parseTweet(text).valid;
}
