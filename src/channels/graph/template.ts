/**
 * Post templates shared by the Graph channels: `{title}`, `{summary}`, `{url}`, `{hashtags}`
 * replaced in one pass (so a title containing "{url}" stays text), then the blank lines an
 * empty part leaves behind are folded.
 */

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

// Hashtags are the same on every platform but X (see x/hashtags.ts); they live in the domain.
export { hashtagFromTag, hashtagsFromTags } from '../../domain/hashtags.js';
