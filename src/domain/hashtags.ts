/**
 * Article tags as hashtags, shared by every social channel: letters, digits, marks and
 * underscores of any script; several words joined in camel case ("climate change" →
 * `#ClimateChange`, easier for screen readers). No I/O.
 */
import { cleanLine } from './text.js';

const NOT_HASHTAG_CHARACTER = /[^\p{L}\p{N}\p{M}_]/gu;

/** The hashtag for one tag, or `''` when nothing usable is left ("!!!" → ''). */
export function hashtagFromTag(tag: string): string {
  const words = cleanLine(tag)
    .normalize('NFC')
    .split(' ')
    .map((word) => word.replace(NOT_HASHTAG_CHARACTER, ''))
    .filter((word) => word !== '');
  const body = words.length > 1 ? words.map(capitalize).join('') : (words[0] ?? '');
  return body === '' ? '' : `#${body}`;
}

/**
 * The tags' hashtags in order, unusable ones and case-insensitive repeats left out. `accepts`
 * lets a platform refuse what it would not read as a hashtag (X: `#2024`).
 */
export function hashtagsFromTags(tags: readonly string[], accepts: (hashtag: string) => boolean = () => true): string[] {
  const seen = new Set<string>();
  const hashtags: string[] = [];
  for (const tag of tags) {
    const hashtag = hashtagFromTag(tag);
    const key = hashtag.toLowerCase();
    if (hashtag === '' || seen.has(key) || !accepts(hashtag)) continue;
    seen.add(key);
    hashtags.push(hashtag);
  }
  return hashtags;
}

function capitalize(word: string): string {
  // By code point, so an astral first letter is not split.
  const first = String.fromCodePoint(word.codePointAt(0) ?? 0);
  return first.toUpperCase() + word.slice(first.length);
}
