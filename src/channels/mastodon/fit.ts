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

/** Appended where text was cut. */
export const ELLIPSIS = '…';

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

// Created on first use (nothing runs at import time), with the root locale so every worker
// cuts the same text the same way.
let wordSegmenter: Intl.Segmenter | undefined;
let graphemeSegmenter: Intl.Segmenter | undefined;

// A cut after these reads badly ("Hello,…", "(…"); closing brackets and quotes are fine.
const POOR_ENDING = /^[\s\p{Ps}\p{Pi}\p{Pd}\p{Po}]+$/u;

/** Where `text` may be cut: the end of every word segment but white space and dangling punctuation. */
export function wordCutPoints(text: string): number[] {
  wordSegmenter ??= new Intl.Segmenter('und', { granularity: 'word' });
  const points: number[] = [];
  for (const { segment, index } of wordSegmenter.segment(text)) {
    const end = index + segment.length;
    if (end < text.length && !POOR_ENDING.test(segment)) points.push(end);
  }
  return points;
}

/** Grapheme ends inside `text`'s first white-space-delimited run: the last resort for one huge word. */
export function firstRunGraphemeCutPoints(text: string): number[] {
  graphemeSegmenter ??= new Intl.Segmenter('und', { granularity: 'grapheme' });
  const runEnd = text.search(/\s/u);
  const limit = runEnd === -1 ? text.length : runEnd;
  const points: number[] = [];
  for (const { segment, index } of graphemeSegmenter.segment(text.slice(0, limit))) {
    const end = index + segment.length;
    if (end < limit && !POOR_ENDING.test(segment)) points.push(end);
  }
  return points;
}

/**
 * The status with `text` cut as little as possible: the longest prefix ending at a word
 * boundary (then, if none fits, inside the first word at a grapheme boundary), plus an ellipsis,
 * for which `render` gives a text that `fits`. `null` when not even one grapheme fits.
 */
export function cutToFit(text: string, render: (part: string) => string, fits: (candidate: string) => boolean): string | null {
  const byWord = longestFitting(wordCutPoints(text), (end) => render(text.slice(0, end) + ELLIPSIS), fits);
  if (byWord !== null) return byWord;
  return longestFitting(firstRunGraphemeCutPoints(text), (end) => render(text.slice(0, end) + ELLIPSIS), fits);
}

/**
 * Binary search for the last cut point whose text fits. Length grows with the prefix, so the
 * search finds the longest; a link in the cut part can make it shrink again, but every text
 * returned was checked, so such a case costs a few characters, never validity.
 */
function longestFitting(points: readonly number[], render: (end: number) => string, fits: (candidate: string) => boolean): string | null {
  let low = 0;
  let high = points.length - 1;
  let best: string | null = null;
  while (low <= high) {
    const middle = (low + high) >> 1;
    const candidate = render(points[middle]!);
    if (fits(candidate)) {
      best = candidate;
      low = middle + 1;
    } else {
      high = middle - 1;
    }
  }
  return best;
}
