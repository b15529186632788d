/**
 * Fitting text into a Mastodon instance's limit, measured the way Mastodon measures it
 * (`StatusLengthValidator`): every link it recognises counts `characters_reserved_per_url`, the
 * rest counts by character. Pure.
 *
 * Mastodon counts grapheme clusters (`each_grapheme_cluster.size`, earlier
 * `mb_chars.grapheme_length`); some forks and early versions count code points (`String#length`).
 * We count code points: never fewer than grapheme clusters, whatever Unicode version the
 * instance's Ruby knows, so a text we accept is never refused for its length; the price is a
 * little headroom on emoji and combining marks. A remote mention
 * (`@user@domain`) is counted whole, where Mastodon counts `@user`: again never fewer.
 * Cuts land only where `Intl.Segmenter` puts a word boundary, so no word or grapheme is split.
 */
import { findCountedLinks } from './url-pattern.js';

/** What an instance allows (`configuration.statuses` of `/api/v2/instance`). */
export interface MastodonLimits {
  /** `max_characters`: the longest status. */
  maxCharacters: number;
  /** `characters_reserved_per_url`: what any link counts, whatever its length. */
  charactersReservedPerUrl: number;
}

/** Mastodon's own defaults, used until (or unless) the instance tells its own. */
export const DEFAULT_MASTODON_LIMITS: Readonly<MastodonLimits> = Object.freeze({ maxCharacters: 500, charactersReservedPerUrl: 23 });

/** The number of Unicode code points in `text`. */
export function countCodePoints(text: string): number {
  let count = 0;
  for (let index = 0; index < text.length; index++) {
    const unit = text.charCodeAt(index);
    // A high surrogate followed by a low one is one code point.
    if (unit >= 0xd800 && unit <= 0xdbff && index + 1 < text.length) {
      const next = text.charCodeAt(index + 1);
      if (next >= 0xdc00 && next <= 0xdfff) index++;
    }
    count++;
  }
  return count;
}

/**
 * The length Mastodon gives `text`, or more (see the file comment). A link Mastodon might not
 * recognise (a non-ASCII domain) counts the larger of its length and the reserve.
 */
export function mastodonLength(text: string, charactersReservedPerUrl: number): number {
  let length = countCodePoints(text);
  for (const link of findCountedLinks(text)) {
    const written = countCodePoints(text.slice(link.start, link.end));
    const counted = link.certain ? charactersReservedPerUrl : Math.max(written, charactersReservedPerUrl);
    length += counted - written;
  }
  return length;
}

/** True when the instance would accept `text` as a status: not blank, not over the limit. */
export function fitsMastodon(text: string, limits: MastodonLimits): boolean {
  return text.trim() !== '' && mastodonLength(text, limits.charactersReservedPerUrl) <= limits.maxCharacters;
}
