/**
 * `BLUESKY_TEMPLATE` rendering: `{title}`, `{url}`, `{hashtags}`, `{summary}` replaced in one pass
 * (a title containing "{url}" stays text), white space collapsed, a line that only held empty
 * placeholders dropped, and the position of the link and of every hashtag kept for its facet.
 * Pure.
 *
 * Positions survive the white-space clean-up because the link and each hashtag are wrapped in
 * sentinels (Unicode noncharacters, removed from every input first) that the clean-up leaves
 * alone; a final pass strips them and notes where they were.
 */
import type { TextMark } from './facets.js';

/** The values a template may name. */
export interface BlueskyTemplateValues {
  title: string;
  summary: string;
  /** The hashtags, each with its `#`. */
  hashtags: readonly string[];
  /** The link as the text shows it (the full URL, or shortened when that is too long). */
  linkText: string;
  /** The full URL the link's facet points at. */
  linkUri: string;
}

/** A rendered text and where its link and hashtags are. */
export interface RenderedText {
  text: string;
  marks: TextMark[];
}

const PLACEHOLDERS = /\{(title|url|hashtags|summary)\}/g;
const LINK_OPEN = '\uFDD0';
const LINK_CLOSE = '\uFDD1';
const TAG_OPEN = '\uFDD2';
const TAG_CLOSE = '\uFDD3';
const SENTINELS = /[\uFDD0-\uFDEF]/g;

/** True when `template` names `placeholder` (e.g. `'url'`). */
export function templateUses(template: string, placeholder: 'title' | 'url' | 'hashtags' | 'summary'): boolean {
  return template.includes(`{${placeholder}}`);
}

/** Fills `template`; unknown `{names}` stay as written. */
export function renderBlueskyTemplate(template: string, values: BlueskyTemplateValues): RenderedText {
  const filled: Record<'title' | 'url' | 'hashtags' | 'summary', string> = {
    title: strip(values.title),
    summary: strip(values.summary),
    url: `${LINK_OPEN}${strip(values.linkText)}${LINK_CLOSE}`,
    hashtags: values.hashtags.map((hashtag) => `${TAG_OPEN}${strip(hashtag)}${TAG_CLOSE}`).join(' '),
  };
  const lines: string[] = [];
  for (const line of strip(template).split(/\r\n|\r|\n/)) {
    let named = false;
    const rendered = line
      .replace(PLACEHOLDERS, (_, name: keyof typeof filled) => {
        named = true;
        return filled[name];
      })
      .replace(/[^\S\n]+/g, ' ')
      .trim();
    // A blank line the template wrote is layout; one left by empty placeholders is not.
    if (named && rendered.replace(SENTINELS, '') === '') continue;
    lines.push(rendered);
  }
  const text = lines
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
  return unwrap(text, values.linkUri);
}

/** Removes the sentinels, noting the ranges they enclosed. */
function unwrap(wrapped: string, linkUri: string): RenderedText {
  const marks: TextMark[] = [];
  let text = '';
  let open: { start: number; kind: TextMark['kind'] } | null = null;
  for (const character of wrapped) {
    if (character === LINK_OPEN || character === TAG_OPEN) {
      open = { start: text.length, kind: character === LINK_OPEN ? 'link' : 'tag' };
    } else if (character === LINK_CLOSE || character === TAG_CLOSE) {
      const marked = open ? text.slice(open.start) : '';
      // An empty link or hashtag (nothing to underline) gets no facet.
      if (open && marked !== '') {
        marks.push({ start: open.start, end: text.length, kind: open.kind, value: open.kind === 'link' ? linkUri : marked.slice(1) });
      }
      open = null;
    } else {
      text += character;
    }
  }
  return { text, marks };
}

function strip(text: string): string {
  return text.replace(SENTINELS, '');
}
