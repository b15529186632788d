/**
 * Fitting text into X's limit, measured the way X measures it: `twitter-text`'s weighted
 * length (every URL 23, CJK and emoji 2, NFC-normalised). Cuts land only where
 * `Intl.Segmenter` puts a word boundary, so no word, grapheme or surrogate pair is split.
 */
import twitterText from '../../domain/twitter-text.js';

/** X's limit for a post, in weighted characters. */
export const X_MAX_WEIGHTED_LENGTH = 280;

/** Appended where text was cut. */
export const ELLIPSIS = '…';

/** X's weighted length of `text`. */
export function weightedLength(text: string): number {
  return twitterText.parseTweet(text).weightedLength;
}

/** True when X would accept `text` as a post: not empty, no invalid characters, ≤ 280 weighted. */
export function isPostable(text: string): boolean {
  return twitterText.parseTweet(text).valid;
}

// Created on first use (nothing runs at import time), with the root locale so every worker
// cuts the same text the same way: `find` compares texts across attempts.
let wordSegmenter: Intl.Segmenter | undefined;
let graphemeSegmenter: Intl.Segmenter | undefined;

// A cut after these reads badly ("Hello,…", "(…"); closing brackets and quotes are fine.
const POOR_ENDING = /^[\s\p{Ps}\p{Pi}\p{Pd}\p{Po}]+$/u;

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
 * The post with `text` cut as little as possible: the longest prefix ending at a word boundary
 * (then, if none fits, inside the first word at a grapheme boundary), plus an ellipsis, for which
 * `render` gives a postable text. `null` when not even one word or grapheme fits.
 */
export function cutToFit(text: string, render: (part: string) => string): string | null {
  const byWord = longestPostable(wordCutPoints(text), (end) => render(text.slice(0, end) + ELLIPSIS));
  if (byWord !== null) return byWord;
  return longestPostable(firstRunGraphemeCutPoints(text), (end) => render(text.slice(0, end) + ELLIPSIS));
}

/**
 * Binary search for the last cut point whose text is postable. Weight grows with the prefix, so
 * the search finds the longest; every text returned was checked, so a rare non-monotone case
 * costs a few characters, never validity.
 */
function longestPostable(points: readonly number[], render: (end: number) => string): string | null {
  let low = 0;
  let high = points.length - 1;
  let best: string | null = null;
  while (low <= high) {
    const middle = (low + high) >> 1;
    const candidate = render(points[middle]!);
    if (isPostable(candidate)) {
      best = candidate;
      low = middle + 1;
    } else {
      high = middle - 1;
    }
  }
  return best;
}
