/**
 * Cutting a post's text to a platform's limit, shared by every social channel: each gives its
 * own measure (`fits`: X's weighted count, Mastodon's characters, Bluesky's graphemes and bytes)
 * and the cut is the same everywhere — at a word, with an ellipsis, never after dangling
 * punctuation. No I/O; the same text is always cut the same way, which `find` relies on.
 */

/** What a cut text ends with. */
export const ELLIPSIS = '…';

// Created on first use (nothing runs at import time), with the root locale so every worker
// cuts the same text the same way.
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
 * `text` cut as little as possible: the longest prefix ending at a word boundary (then, if none
 * fits, inside the first word at a grapheme boundary), plus an ellipsis, for which `render`
 * gives something that `fits`. `null` when not even one word or grapheme fits.
 */
export function cutToFit<T>(text: string, render: (part: string) => T, fits: (candidate: T) => boolean): T | null {
  const cut = (end: number) => render(text.slice(0, end) + ELLIPSIS);
  return longestCut(wordCutPoints(text), cut, fits) ?? longestCut(firstRunGraphemeCutPoints(text), cut, fits);
}

/**
 * Binary search for the last cut point whose rendering fits. Length grows with the prefix, so
 * the search finds the longest; every result was checked, so a rare non-monotone case (a link
 * in the cut part) costs a few characters, never validity.
 */
export function longestCut<T>(points: readonly number[], render: (end: number) => T, fits: (candidate: T) => boolean): T | null {
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
