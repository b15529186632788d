/**
 * Fitting an Instagram caption to Instagram's limits: at most 2,200 characters counted in UTF-16
 * units, 30 hashtags and 20 @mentions. What gives way, in order: the tag hashtags, then the
 * summary, then the title, each cut between words with an ellipsis; surplus hashtags and
 * mentions written in the text lose their `#`/`@` and stay as words. The link is never
 * touched. Pure.
 */
import { hashtagsFromTags, renderTemplate } from '../graph/template.js';
import { ELLIPSIS, longestCut } from '../../domain/cut-to-fit.js';

/** Instagram's caption limit, in UTF-16 code units. */
export const CAPTION_MAX_LENGTH = 2200;
/** Instagram's limit on hashtags in a caption. */
export const CAPTION_MAX_HASHTAGS = 30;
/** Instagram's limit on @mentions in a caption. */
export const CAPTION_MAX_MENTIONS = 20;

// A marker starts a hashtag or mention where no letter or digit stands before it ("C#", an
// email's "@" do not count), as on Instagram; full-width forms count too, to err on the safe side.
const HASHTAG = /(?<![\p{L}\p{N}\p{M}_])[#＃](?=[\p{L}\p{N}\p{M}_])/gu;
const MENTION = /(?<![\p{L}\p{N}\p{M}_])[@＠](?=[A-Za-z0-9_])/gu;
const MARKERS = /[#＃@＠]/;

/** How many hashtags Instagram may see in `text`. */
export function countHashtags(text: string): number {
  return text.match(HASHTAG)?.length ?? 0;
}

/** How many @mentions Instagram may see in `text`. */
export function countMentions(text: string): number {
  return text.match(MENTION)?.length ?? 0;
}

function occurrences(text: string, needle: string): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  if (needle === '') return ranges;
  for (let index = text.indexOf(needle); index !== -1; index = text.indexOf(needle, index + needle.length)) {
    ranges.push([index, index + needle.length]);
  }
  return ranges;
}

const ENDS_IN_WORD_CHARACTER = /[\p{L}\p{N}\p{M}_]$/u;

/**
 * Keeps the first hashtags and mentions up to the limits and takes the marker off the rest.
 * Markers inside `keep` (the link) count but are never removed. A whole run of markers goes
 * ("##tag" → "tag"), so no new hashtag appears where one is removed, and a space stands in
 * for it where two words would otherwise join ("a##tag" → "a tag").
 */
export function limitMarkers(text: string, keep: string): string {
  const kept = occurrences(text, keep);
  const isKept = (index: number) => kept.some(([start, end]) => index >= start && index < end);
  const removals = new Map<number, { end: number; replacement: string }>();

  for (const [pattern, limit] of [
    [HASHTAG, CAPTION_MAX_HASHTAGS],
    [MENTION, CAPTION_MAX_MENTIONS],
  ] as const) {
    const positions = [...text.matchAll(pattern)].map((match) => match.index);
    let budget = limit - positions.filter(isKept).length;
    for (const position of positions) {
      if (isKept(position)) continue;
      if (budget > 0) {
        budget--;
        continue;
      }
      let start = position;
      while (start > 0 && MARKERS.test(text.charAt(start - 1)) && !isKept(start - 1)) start--;
      removals.set(start, {
        end: position + 1,
        replacement: ENDS_IN_WORD_CHARACTER.test(text.slice(Math.max(0, start - 2), start)) ? ' ' : '',
      });
    }
  }
  if (removals.size === 0) return text;
  let result = '';
  let index = 0;
  for (const [start, { end, replacement }] of [...removals].sort(([a], [b]) => a - b)) {
    if (start < index) continue;
    result += text.slice(index, start) + replacement;
    index = end;
  }
  return result + text.slice(index);
}

let segmenter: Intl.Segmenter | undefined;

/**
 * Where `text` may be cut without splitting a word (nor a character): word boundaries by
 * Unicode's rules (which also split CJK text into words). `beforeSpace` holds the preferred
 * ones, where white space follows.
 */
function cutPoints(text: string): { all: number[]; beforeSpace: number[] } {
  segmenter ??= new Intl.Segmenter(undefined, { granularity: 'word' });
  const all: number[] = [];
  const beforeSpace: number[] = [];
  for (const { index, segment } of segmenter.segment(text)) {
    if (index === 0) continue;
    all.push(index);
    if (/^\s/u.test(segment)) beforeSpace.push(index);
  }
  return { all, beforeSpace };
}

function shortened(text: string, end: number): string {
  const prefix = text.slice(0, end).trimEnd();
  return prefix === '' ? '' : `${prefix}${ELLIPSIS}`;
}

/**
 * The longest of `text`, or of its beginnings cut between words plus "…", that `fits`;
 * '' when none does. Cuts before a space come first; text without spaces (CJK) is cut between words.
 */
export function longestFitting(text: string, fits: (candidate: string) => boolean): string {
  if (fits(text)) return text;
  const points = cutPoints(text);
  const cut = (end: number) => shortened(text, end);
  return longestCut(points.beforeSpace, cut, fits) || (longestCut(points.all, cut, fits) ?? '');
}

/** The parts a caption is made of, already cleaned. */
export interface CaptionParts {
  title: string;
  summary: string;
  url: string;
  tags: readonly string[];
}

const fits = (caption: string) => caption.length <= CAPTION_MAX_LENGTH;

/** The caption from `template` and `parts`, within every limit (see the file's comment). */
export function fitCaption(template: string, parts: CaptionParts): string {
  const { url } = parts;
  const render = (title: string, summary: string, hashtags: readonly string[]) =>
    limitMarkers(renderTemplate(template, { title, summary, url, hashtags: hashtags.join(' ') }), url);

  const withoutTags = render(parts.title, parts.summary, []);
  let hashtags = hashtagsFromTags(parts.tags).slice(0, Math.max(0, CAPTION_MAX_HASHTAGS - countHashtags(withoutTags)));
  let caption = render(parts.title, parts.summary, hashtags);
  while (!fits(caption) && hashtags.length > 0) {
    hashtags = hashtags.slice(0, -1);
    caption = render(parts.title, parts.summary, hashtags);
  }
  if (fits(caption)) return caption;

  const summary = longestFitting(parts.summary, (candidate) => fits(render(parts.title, candidate, [])));
  caption = render(parts.title, summary, []);
  if (fits(caption)) return caption;

  const title = longestFitting(parts.title, (candidate) => fits(render(candidate, '', [])));
  caption = render(title, '', []);
  // Only a link or template longer than the limit by itself is still too long here.
  return fits(caption) ? caption : longestFitting(caption, fits);
}

/** A caption the publisher wrote (`channels.instagram.text`), held to the same limits. */
export function fitOwnCaption(text: string, url: string): string {
  return longestFitting(limitMarkers(text, url), fits);
}
