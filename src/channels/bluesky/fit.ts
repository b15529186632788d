/**
 * Fitting text into a Bluesky post, measured as the PDS measures it (the `app.bsky.feed.post`
 * lexicon: `maxGraphemes: 300`, `maxLength: 3000` UTF-8 bytes; the PDS counts graphemes with
 * `Intl.Segmenter` too). Cuts land only where `Intl.Segmenter` puts a word boundary, so no word,
 * grapheme or surrogate pair is split. Pure.
 */
import { utf8Length } from './facets.js';

/** The lexicon's limit on a post's text, in graphemes. */
export const BLUESKY_MAX_GRAPHEMES = 300;

/** The lexicon's limit on a post's text, in UTF-8 bytes (a grapheme can be 25 bytes and more). */
export const BLUESKY_MAX_BYTES = 3000;

// Created on first use (nothing runs at import time), with the root locale so every worker
// cuts the same text the same way.
let graphemeSegmenter: Intl.Segmenter | undefined;

function graphemes(): Intl.Segmenter {
  return (graphemeSegmenter ??= new Intl.Segmenter('und', { granularity: 'grapheme' }));
}

/** The number of graphemes (user-perceived characters) in `text`. */
export function countGraphemes(text: string): number {
  let count = 0;
  for (const _ of graphemes().segment(text)) count++;
  return count;
}

/** True when `text` is within both of the lexicon's limits. */
export function fitsBluesky(text: string): boolean {
  // Bytes first: counting them is cheaper than segmenting graphemes.
  return utf8Length(text) <= BLUESKY_MAX_BYTES && countGraphemes(text) <= BLUESKY_MAX_GRAPHEMES;
}

/** The first `count` graphemes of `text`. */
export function firstGraphemes(text: string, count: number): string {
  let end = 0;
  let taken = 0;
  for (const { segment, index } of graphemes().segment(text)) {
    if (taken++ === count) break;
    end = index + segment.length;
  }
  return text.slice(0, end);
}
