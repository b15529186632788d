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

/** Appended where text was cut. */
export const ELLIPSIS = '…';

// Created on first use (nothing runs at import time), with the root locale so every worker
// cuts the same text the same way.
let graphemeSegmenter: Intl.Segmenter | undefined;
let wordSegmenter: Intl.Segmenter | undefined;

function graphemes(): Intl.Segmenter {
  return (graphemeSegmenter ??= new Intl.Segmenter('und', { granularity: 'grapheme' }));
}

// A cut after these reads badly ("Hello,…", "(…"); closing brackets and quotes are fine.
const POOR_ENDING = /^[\s\p{Ps}\p{Pi}\p{Pd}\p{Po}]+$/u;

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

/**
 * Where `text` may be cut: the end of every word segment that is not white space or dangling
 * punctuation, ascending, `text.length` left out (that is no cut).
 */
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
  const runEnd = text.search(/\s/u);
  const limit = runEnd === -1 ? text.length : runEnd;
  const points: number[] = [];
  for (const { segment, index } of graphemes().segment(text.slice(0, limit))) {
    const end = index + segment.length;
    if (end < limit && !POOR_ENDING.test(segment)) points.push(end);
  }
  return points;
}

/**
 * `text` cut as little as possible: the longest prefix ending at a word boundary (then, if none
 * fits, inside the first word at a grapheme boundary), plus an ellipsis, for which `render`
 * gives something that `fits`. `null` when not even one word or grapheme fits.
 */
export function cutToFit<T>(text: string, render: (part: string) => T, fits: (candidate: T) => boolean): T | null {
  const cut = (end: number) => render(text.slice(0, end) + ELLIPSIS);
  return longestFitting(wordCutPoints(text), cut, fits) ?? longestFitting(firstRunGraphemeCutPoints(text), cut, fits);
}

/**
 * Binary search for the last cut point whose rendering fits. Length grows with the prefix, so
 * the search finds the longest; every result was checked, so a rare non-monotone case costs a
 * few characters, never validity.
 */
function longestFitting<T>(points: readonly number[], render: (end: number) => T, fits: (candidate: T) => boolean): T | null {
  let low = 0;
  let high = points.length - 1;
  let best: T | null = null;
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
