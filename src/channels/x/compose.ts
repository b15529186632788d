/**
 * The X post for an article (SPEC §4 "X"). Pure: the same article and options always give the
 * same post, which `find` relies on to recognise a post whose answer was lost.
 *
 * The text comes from `X_TEMPLATE` and is fitted to 280 by X's weighted count: hashtags drop
 * first, one at a time from the end; then the summary, then the title is cut at a word with
 * "…". The link is never cut; in `reply` mode it goes in a reply instead of the post.
 */
import type { Composed } from '../channel.js';
import type { Article } from '../../domain/article.js';
import { cleanLine } from '../../domain/text.js';
import { cutToFit } from '../../domain/cut-to-fit.js';
import { isPostable, weightedLength, X_MAX_WEIGHTED_LENGTH } from './fit.js';
import { hashtagsFromTags } from './hashtags.js';
import { renderPostTemplate, templateUses } from '../../domain/post-template.js';

/** The channel's name: its queue, ledger rows and key in `article.channels`. */
export const X_CHANNEL = 'x';

/** @defaultValue for {@link XComposeOptions.template} */
export const DEFAULT_X_TEMPLATE = '{title} {url} {hashtags}';

/** How X posts are written (`X_TEMPLATE`, `X_LINK_MODE`). */
export interface XComposeOptions {
  /**
   * The post text with `{title}`, `{url}`, `{hashtags}` (from the tags), `{summary}`. A template
   * without `{url}` gets the link appended: the link is always posted.
   * @defaultValue DEFAULT_X_TEMPLATE (`{title} {url} {hashtags}`)
   */
  template: string;
  /** `inline`: the link is in the post; `reply`: in a reply to it (X ranks posts with links lower). */
  linkMode: 'inline' | 'reply';
}

/** A composed X post. */
export interface XPost {
  /** The post's text, postable as it is. */
  text: string;
  /** X's weighted length of `text` (≤ 280). */
  weightedLength: number;
  /** The reply carrying the link in `reply` mode, else `null`. */
  replyText: string | null;
  /** The article's image and its alt text, when it has one (uploaded with the post). */
  image: { url: string; alt: string } | null;
}

/** X's limit for an image's alt text. */
export const X_ALT_TEXT_MAX_LENGTH = 1000;

/** The post for `article`, or why it does not go to X. */
export function composeXPost(article: Article, options: XComposeOptions): Composed<XPost> {
  const choice = article.channels[X_CHANNEL];
  if (choice === false) return { skip: 'skipped by the article' };

  const url = article.url;
  if (!isPostable(url)) {
    return { skip: `the article URL alone weighs ${weightedLength(url)} of X's ${X_MAX_WEIGHTED_LENGTH} characters` };
  }
  const override = choice?.text === undefined ? '' : cleanLine(choice.text);
  const parts: PostParts = {
    title: override || cleanLine(article.title),
    summary: cleanLine(article.summary),
    hashtags: hashtagsFromTags(article.tags),
  };
  const template = options.template.trim() === '' ? DEFAULT_X_TEMPLATE : options.template;
  const image = article.image ? { url: article.image.url, alt: cutAltText(article.image.alt ?? '') } : null;

  if (options.linkMode === 'reply') {
    const text = fitText(template, '', parts);
    // A template that is nothing but the link leaves no post to reply to: post the link inline.
    if (text !== null) return { post: { text, weightedLength: weightedLength(text), replyText: url, image } };
  }
  const inlineTemplate = templateUses(template, 'url') ? template : `${template} {url}`;
  const text = fitText(inlineTemplate, url, parts) ?? fitText(DEFAULT_X_TEMPLATE, url, parts);
  // Unreachable: the default template always fits a postable URL once title and tags are gone.
  if (text === null) return { skip: 'the post cannot be fitted into 280 characters' };
  return { post: { text, weightedLength: weightedLength(text), replyText: null, image } };
}

interface PostParts {
  title: string;
  summary: string;
  hashtags: readonly string[];
}

/** The template filled and fitted, or `null` when even its fixed text does not fit. */
function fitText(template: string, url: string, parts: PostParts): string | null {
  const render = (title: string, summary: string, hashtags: readonly string[]) =>
    renderPostTemplate(template, { title, url, summary, hashtags: hashtags.join(' ') });

  // 1. Hashtags drop first, one at a time from the end.
  if (isPostable(render(parts.title, parts.summary, []))) {
    for (let count = parts.hashtags.length; count >= 0; count--) {
      const text = render(parts.title, parts.summary, parts.hashtags.slice(0, count));
      if (isPostable(text)) return text;
    }
  }
  // 2. Then the summary (when the template shows it) is cut, keeping the whole title.
  if (parts.summary !== '' && templateUses(template, 'summary')) {
    const text = cutToFit(parts.summary, (summary) => render(parts.title, summary, []), isPostable);
    if (text !== null) return text;
    const withoutSummary = render(parts.title, '', []);
    if (isPostable(withoutSummary)) return withoutSummary;
  }
  // 3. Then the title is cut at a word.
  const text = cutToFit(parts.title, (title) => render(title, '', []), isPostable);
  if (text !== null) return text;
  const bare = render('', '', []);
  return isPostable(bare) ? bare : null;
}

function cutAltText(alt: string): string {
  const clean = cleanLine(alt);
  if (clean.length <= X_ALT_TEXT_MAX_LENGTH) return clean;
  let cut = '';
  // Whole code points only, so a surrogate pair is never split.
  for (const character of clean) {
    if (cut.length + character.length > X_ALT_TEXT_MAX_LENGTH) break;
    cut += character;
  }
  return cut;
}
