/**
 * Recognising our own post among the account's recent ones, after an attempt whose answer was
 * lost (SPEC §4 "Never twice, never lost"). Pure.
 *
 * X rewrites what it stores: every link becomes a t.co link (the original is in
 * `entities.urls[].expanded_url`) and `&`, `<`, `>` come back as HTML entities. So a post is
 * ours when its text or an expanded URL holds the article URL, or — for the link-less main post
 * of `reply` mode — when its text, unescaped and with links aside, is the text we compose.
 */
import type { TweetV2 } from 'twitter-api-v2';
import twitterText from '../../domain/twitter-text.js';
import { urlForms } from '../../domain/url-forms.js';

// Stands for any link when texts are compared.
const LINK = '\u0000';

/** True when `tweet` carries `url` in its text or among its expanded links. */
export function tweetLinksTo(tweet: TweetV2, url: string): boolean {
  const forms = urlForms(url);
  const expanded = (tweet.entities?.urls ?? []).flatMap((entity) => [entity.expanded_url, entity.unwound_url]);
  const text = unescapeTweetText(tweet.text);
  return forms.some(
    (form) => text.includes(form) || expanded.some((candidate) => candidate !== undefined && urlForms(candidate).includes(form)),
  );
}

/**
 * True when `tweet`'s text is `text` once X's changes are undone: entities unescaped, white space
 * and Unicode normalised, and every link on either side (a title's "example.io" comes back as a
 * t.co link) compared as just "a link".
 */
export function tweetHasText(tweet: TweetV2, text: string): boolean {
  return comparable(unescapeTweetText(tweet.text)) === comparable(text);
}

/** True when `tweet` is nothing but one link: the link reply of `reply` mode. */
export function isLinkOnly(tweet: TweetV2): boolean {
  return comparable(unescapeTweetText(tweet.text)) === LINK;
}

/** The id of the post `tweet` replies to, if it is a reply. */
export function repliedToId(tweet: TweetV2): string | undefined {
  return tweet.referenced_tweets?.find((reference) => reference.type === 'replied_to')?.id;
}

/** Undoes the three HTML entities X uses in post text. */
export function unescapeTweetText(text: string): string {
  return text.replace(/&(lt|gt|amp);/g, (_, name: string) => (name === 'lt' ? '<' : name === 'gt' ? '>' : '&'));
}

function comparable(text: string): string {
  const normalised = text.normalize('NFC').replace(/\s+/gu, ' ').trim();
  let out = '';
  let last = 0;
  for (const { indices } of twitterText.extractUrlsWithIndices(normalised)) {
    out += `${normalised.slice(last, indices[0])}${LINK}`;
    last = indices[1];
  }
  return out + normalised.slice(last);
}
