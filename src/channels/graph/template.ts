/**
 * Post templates shared by the Graph channels: `{title}`, `{summary}`, `{url}`, `{hashtags}`
 * replaced in one pass (so a title containing "{url}" stays text), then the blank lines an
 * empty part leaves behind are folded.
 */
import { cleanLine } from '../../domain/text.js';

/** The values a template may name. */
export interface TemplateValues {
  title: string;
  summary: string;
  url: string;
  hashtags: string;
}

const PLACEHOLDER = /\{(title|summary|url|hashtags)\}/g;

/** Fills `template`; unknown `{names}` stay as written. Pure. */
export function renderTemplate(template: string, values: TemplateValues): string {
  const filled = template.replace(PLACEHOLDER, (_, name: keyof TemplateValues) => values[name]);
  return tidyLines(filled);
}

/** Trims each line's trailing blanks, folds runs of blank lines into one, trims the whole. */
export function tidyLines(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/**
 * A hashtag for a tag: letters, digits, marks and underscores of any script; several words are
 * joined in camel case ("climate change" → `#ClimateChange`, easier for screen readers).
 * Empty when nothing usable is left ("C++" → `#C`, "!!!" → "").
 */
export function hashtagFromTag(tag: string): string {
  const words = cleanLine(tag)
    .split(' ')
    .map((word) => word.replace(/[^\p{L}\p{N}\p{M}_]/gu, ''))
    .filter(Boolean);
  const joined = words.length > 1 ? words.map((word) => word.charAt(0).toUpperCase() + word.slice(1)).join('') : (words[0] ?? '');
  return joined === '' ? '' : `#${joined}`;
}

/** The tags' hashtags in order, empty ones and case-insensitive repeats left out. */
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
