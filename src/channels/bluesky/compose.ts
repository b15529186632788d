/**
 * The Bluesky post for an article (SPEC §4 "Bluesky"). Pure: the same article and options always
 * give the same post.
 *
 * The text comes from `BLUESKY_TEMPLATE` and is fitted to the lexicon's 300 graphemes and 3000
 * UTF-8 bytes: hashtags drop first, one at a time from the end; then the summary, then the title
 * is cut at a word with "…". The link is never cut and its facet always carries the full URL.
 * Only a URL that alone exceeds the limits is *shown* shortened (`host/path…`, as Bluesky's own
 * app shows long links), its facet still pointing at the whole URL: the post stays clickable.
 *
 * The link card (`app.bsky.embed.external`) repeats the article's title and summary; its thumb
 * is the article's image, uploaded at send time.
 */
import type { Composed } from '../channel.js';
import type { Article } from '../../domain/article.js';
import { hashtagsFromTags } from '../../domain/hashtags.js';
import { cleanLine } from '../../domain/text.js';
import { facetsFromMarks, utf8Length, type BlueskyFacet } from './facets.js';
import { cutToFit, ELLIPSIS } from '../../domain/cut-to-fit.js';
import { countGraphemes, firstGraphemes, fitsBluesky } from './fit.js';
import { renderBlueskyTemplate, templateUses, type RenderedText } from './template.js';

/** The channel's name: its queue, ledger rows and key in `article.channels`. */
export const BLUESKY_CHANNEL = 'bluesky';

/** @defaultValue for {@link BlueskyComposeOptions.template} */
export const DEFAULT_BLUESKY_TEMPLATE = '{title} {url} {hashtags}';

/** How many graphemes a link too long for a post is shown with (its facet keeps the whole URL). */
export const BLUESKY_LINK_DISPLAY_GRAPHEMES = 60;

/** The lexicon's limits on a hashtag facet's tag (without `#`). */
export const BLUESKY_TAG_MAX_GRAPHEMES = 64;
export const BLUESKY_TAG_MAX_BYTES = 640;

/** How Bluesky posts are written (`BLUESKY_TEMPLATE`). */
export interface BlueskyComposeOptions {
  /**
   * The post text with `{title}`, `{url}`, `{hashtags}` (from the tags), `{summary}`. A template
   * without `{url}` gets the link appended: the link is always posted.
   * @defaultValue DEFAULT_BLUESKY_TEMPLATE (`{title} {url} {hashtags}`)
   */
  template: string;
  /** The post's languages (BCP 47, e.g. `SITE_LANGUAGE`); invalid ones are left out, at most 3 kept. @defaultValue none */
  langs?: readonly string[];
}

/** The link card under the post. */
export interface BlueskyEmbed {
  /** The article's URL. */
  uri: string;
  title: string;
  description: string;
  /**
   * The article's image, uploaded as the card's thumb at send time. `alt` is for previews only:
   * `app.bsky.embed.external` has no alt text (the card's title describes it).
   */
  thumb: { url: string; alt: string } | null;
}

/** A composed Bluesky post. */
export interface BlueskyPost {
  /** The post's text, within 300 graphemes and 3000 UTF-8 bytes. */
  text: string;
  /** Graphemes in `text` (≤ 300). */
  graphemes: number;
  /** The link's and the hashtags' facets, byte offsets into `text`. */
  facets: BlueskyFacet[];
  embed: BlueskyEmbed;
  /** Languages of the text, when configured. */
  langs?: string[];
}

// The shape of a BCP 47 tag the lexicon's `language` format accepts (`en`, `pt-BR`, `zh-Hant-TW`).
const LANGUAGE_TAG = /^(?:[a-z]{2,3}(?:-[a-z]{3}){0,3}|[a-z]{4,8}|i-[a-z0-9]{2,8})(?:-[a-z0-9]{1,8})*$/i;

/** The post for `article`, or why it does not go to Bluesky. */
export function composeBlueskyPost(article: Article, options: BlueskyComposeOptions): Composed<BlueskyPost> {
  const choice = article.channels[BLUESKY_CHANNEL];
  if (choice === false) return { skip: 'skipped by the article' };

  let uri: string;
  try {
    uri = new URL(article.url).href; // ASCII: the host in punycode, the rest percent-encoded
  } catch {
    return { skip: 'the article URL is not a URL' };
  }
  const override = choice?.text === undefined ? '' : cleanLine(choice.text);
  const parts: PostParts = {
    title: override || cleanLine(article.title),
    summary: cleanLine(article.summary),
    hashtags: hashtagsFromTags(article.tags, isBlueskyHashtag),
    linkUri: uri,
    linkText: fitsBluesky(uri) ? uri : shortenLink(uri),
  };
  const template = options.template.trim() === '' ? DEFAULT_BLUESKY_TEMPLATE : options.template;
  const inlineTemplate = templateUses(template, 'url') ? template : `${template} {url}`;
  const rendered = fitText(inlineTemplate, parts) ?? fitText(DEFAULT_BLUESKY_TEMPLATE, parts);
  // Unreachable: the default template always fits the (shortened if need be) link alone.
  if (rendered === null) return { skip: 'the post cannot be fitted into 300 graphemes' };

  const langs = (options.langs ?? []).filter((lang) => LANGUAGE_TAG.test(lang)).slice(0, 3);
  const image = article.image;
  const post: BlueskyPost = {
    text: rendered.text,
    graphemes: countGraphemes(rendered.text),
    facets: facetsFromMarks(rendered.text, rendered.marks),
    embed: {
      uri,
      title: cleanLine(article.title),
      description: cleanLine(article.summary),
      thumb: image ? { url: image.url, alt: cleanLine(image.alt ?? '') } : null,
    },
    ...(langs.length > 0 ? { langs } : {}),
  };
  return { post };
}

/**
 * True when `hashtag` can be a tag facet: within the lexicon's 64 graphemes and 640 bytes, and
 * not only digits and punctuation (Bluesky's apps do not read "#2024" as a hashtag either).
 */
export function isBlueskyHashtag(hashtag: string): boolean {
  const tag = hashtag.slice(1);
  return /[^\d\p{P}]/u.test(tag) && utf8Length(tag) <= BLUESKY_TAG_MAX_BYTES && countGraphemes(tag) <= BLUESKY_TAG_MAX_GRAPHEMES;
}

/** `https://host/long/path` → `host/long/pa…`: how a link too long for a post is shown. */
export function shortenLink(uri: string): string {
  const bare = uri.replace(/^https?:\/\//i, '');
  if (countGraphemes(bare) <= BLUESKY_LINK_DISPLAY_GRAPHEMES) return bare;
  return firstGraphemes(bare, BLUESKY_LINK_DISPLAY_GRAPHEMES - 1) + ELLIPSIS;
}

interface PostParts {
  title: string;
  summary: string;
  hashtags: readonly string[];
  linkText: string;
  linkUri: string;
}

const fits = (rendered: RenderedText) => fitsBluesky(rendered.text);

/** The template filled and fitted, or `null` when even its fixed text does not fit. */
function fitText(template: string, parts: PostParts): RenderedText | null {
  const render = (title: string, summary: string, hashtags: readonly string[]) =>
    renderBlueskyTemplate(template, { title, summary, hashtags, linkText: parts.linkText, linkUri: parts.linkUri });

  // 1. Hashtags drop first, one at a time from the end.
  if (fits(render(parts.title, parts.summary, []))) {
    for (let count = parts.hashtags.length; count >= 0; count--) {
      const rendered = render(parts.title, parts.summary, parts.hashtags.slice(0, count));
      if (fits(rendered)) return rendered;
    }
  }
  // 2. Then the summary (when the template shows it) is cut, keeping the whole title.
  if (parts.summary !== '' && templateUses(template, 'summary')) {
    const rendered = cutToFit(parts.summary, (summary) => render(parts.title, summary, []), fits);
    if (rendered !== null) return rendered;
    const withoutSummary = render(parts.title, '', []);
    if (fits(withoutSummary)) return withoutSummary;
  }
  // 3. Then the title is cut at a word.
  const rendered = cutToFit(parts.title, (title) => render(title, '', []), fits);
  if (rendered !== null) return rendered;
  const bare = render('', '', []);
  return fits(bare) ? bare : null;
}
