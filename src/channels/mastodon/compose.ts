/**
 * The Mastodon status for an article (SPEC §4 "Mastodon"). Pure: the same article and options
 * always give the same status.
 *
 * The text comes from `MASTODON_TEMPLATE` and is fitted to the instance's `max_characters`, every
 * link counting `characters_reserved_per_url` (see fit.ts): hashtags drop first, one at a time
 * from the end; then the summary, then the title is cut at a word with "…". The link is never
 * cut. The instance's limits are options: the live channel passes what the instance said, the
 * preview and the outbox pass Mastodon's defaults (500 and 23).
 */
import type { Composed } from '../channel.js';
import type { Article } from '../../domain/article.js';
import { hashtagsFromTags } from '../../domain/hashtags.js';
import { cleanLine } from '../../domain/text.js';
import { cutToFit } from '../../domain/cut-to-fit.js';
import { countCodePoints, fitsMastodon, mastodonLength, type MastodonLimits } from './fit.js';
import { renderPostTemplate, templateUses } from '../../domain/post-template.js';

/** The channel's name: its queue, ledger rows and key in `article.channels`. */
export const MASTODON_CHANNEL = 'mastodon';

/** @defaultValue for {@link MastodonComposeOptions.template} */
export const DEFAULT_MASTODON_TEMPLATE = '{title} {url} {hashtags}';

/** Mastodon's limit for a media description (`MediaAttachment::MAX_DESCRIPTION_LENGTH`, 4.0 and later), in characters. */
export const MASTODON_DESCRIPTION_MAX_LENGTH = 1500;

/** How a status is written: `MASTODON_TEMPLATE` and the instance's limits. */
export interface MastodonComposeOptions extends MastodonLimits {
  /**
   * The status text with `{title}`, `{url}`, `{hashtags}` (from the tags), `{summary}`. A
   * template without `{url}` gets the link appended: the link is always posted.
   * @defaultValue DEFAULT_MASTODON_TEMPLATE (`{title} {url} {hashtags}`)
   */
  template: string;
}

/** A composed status. */
export interface MastodonPost {
  /** The status text, within the limits below. */
  text: string;
  /** The length Mastodon gives `text` (an upper bound, see fit.ts), ≤ `maxCharacters`. */
  length: number;
  /** The limit `text` was fitted to. */
  maxCharacters: number;
  /** What each link counted when `text` was fitted. */
  charactersReservedPerUrl: number;
  /** The article's image and its description, when it has one (uploaded with the status). */
  image: { url: string; alt: string } | null;
}

/** The status for `article`, or why it does not go to Mastodon. */
export function composeMastodonPost(article: Article, options: MastodonComposeOptions): Composed<MastodonPost> {
  const choice = article.channels[MASTODON_CHANNEL];
  if (choice === false) return { skip: 'skipped by the article' };

  const limits: MastodonLimits = { maxCharacters: options.maxCharacters, charactersReservedPerUrl: options.charactersReservedPerUrl };
  const url = article.url;
  if (!fitsMastodon(url, limits)) {
    const length = mastodonLength(url, limits.charactersReservedPerUrl);
    return { skip: `the article URL alone counts ${length} of the instance's ${limits.maxCharacters} characters` };
  }
  const override = typeof choice === 'object' && choice.text !== undefined ? cleanLine(choice.text) : '';
  const parts: StatusParts = {
    title: override || cleanLine(article.title),
    summary: cleanLine(article.summary),
    hashtags: hashtagsFromTags(article.tags, readAsHashtag),
  };
  const template = options.template.trim() === '' ? DEFAULT_MASTODON_TEMPLATE : options.template;
  const withLink = templateUses(template, 'url') ? template : `${template} {url}`;
  const text = fitText(withLink, url, parts, limits) ?? fitText(DEFAULT_MASTODON_TEMPLATE, url, parts, limits);
  // Unreachable: the default template always fits a URL that fits alone, once title and tags are gone.
  if (text === null) return { skip: `the status cannot be fitted into ${limits.maxCharacters} characters` };
  const image = article.image ? { url: article.image.url, alt: cutDescription(article.image.alt ?? '') } : null;
  return { post: { text, length: mastodonLength(text, limits.charactersReservedPerUrl), ...limits, image } };
}

interface StatusParts {
  title: string;
  summary: string;
  hashtags: readonly string[];
}

/** Mastodon reads `#` and a name with at least one letter as a hashtag (`#2024` is not one). */
function readAsHashtag(hashtag: string): boolean {
  return /\p{Alphabetic}/u.test(hashtag);
}

/** The template filled and fitted, or `null` when even its fixed text does not fit. */
function fitText(template: string, url: string, parts: StatusParts, limits: MastodonLimits): string | null {
  const fits = (text: string) => fitsMastodon(text, limits);
  const render = (title: string, summary: string, hashtags: readonly string[]) =>
    renderPostTemplate(template, { title, url, summary, hashtags: hashtags.join(' ') });

  // 1. Hashtags drop first, one at a time from the end.
  if (fits(render(parts.title, parts.summary, []))) {
    for (let count = parts.hashtags.length; count >= 0; count--) {
      const text = render(parts.title, parts.summary, parts.hashtags.slice(0, count));
      if (fits(text)) return text;
    }
  }
  // 2. Then the summary (when the template shows it) is cut, keeping the whole title.
  if (parts.summary !== '' && templateUses(template, 'summary')) {
    const text = cutToFit(parts.summary, (summary) => render(parts.title, summary, []), fits);
    if (text !== null) return text;
    const withoutSummary = render(parts.title, '', []);
    if (fits(withoutSummary)) return withoutSummary;
  }
  // 3. Then the title is cut at a word.
  const text = cutToFit(parts.title, (title) => render(title, '', []), fits);
  if (text !== null) return text;
  const bare = render('', '', []);
  return fits(bare) ? bare : null;
}

/** The image description, cut to Mastodon's limit at a code point (Rails counts characters). */
function cutDescription(alt: string): string {
  const clean = cleanLine(alt);
  if (countCodePoints(clean) <= MASTODON_DESCRIPTION_MAX_LENGTH) return clean;
  return [...clean].slice(0, MASTODON_DESCRIPTION_MAX_LENGTH).join('');
}
