/**
 * Article tags as X hashtags. X decides what a hashtag is with `twitter-text`, so a candidate
 * is kept only when that extractor reads it back whole ("#2024" is not a hashtag on X).
 */
import twitterText from 'twitter-text';
import { cleanLine } from '../../domain/text.js';

// Letters, digits and underscores of any script; marks stay so Indic and Thai words survive.
const NOT_HASHTAG_CHARACTER = /[^\p{L}\p{N}\p{M}_]/gu;

/**
 * The hashtag for one tag, or `''` when nothing usable is left. Words are joined in camel case
 * ("climate change" → `#ClimateChange`), as the Graph channels do.
 */
export function hashtagFromTag(tag: string): string {
  const words = cleanLine(tag)
    .normalize('NFC')
    .split(' ')
    .map((word) => word.replace(NOT_HASHTAG_CHARACTER, ''))
    .filter((word) => word !== '');
  const body = words.length > 1 ? words.map(capitalize).join('') : (words[0] ?? '');
  if (body === '') return '';
  const extracted = twitterText.extractHashtags(`#${body}`);
  return extracted.length === 1 && extracted[0] === body ? `#${body}` : '';
}

/** The tags' hashtags in order, unusable ones and case-insensitive repeats left out. */
export function hashtagsFromTags(tags: readonly string[]): string[] {
  const seen = new Set<string>();
  const hashtags: string[] = [];
  for (const tag of tags) {
    const hashtag = hashtagFromTag(tag);
    const key = hashtag.toLowerCase();
    if (hashtag === '' || seen.has(key)) continue;
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
