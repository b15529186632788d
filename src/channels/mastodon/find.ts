/**
 * Recognising our own status among the account's recent ones, after an attempt whose answer
 * was lost (SPEC §4 "Never twice, never lost"). Pure.
 *
 * Mastodon returns a status's `content` as HTML it rendered itself: every link an `<a href>`
 * (its visible text split into spans), hashtags and mentions as links, line breaks as `<br>`
 * and `<p>`. So a status is ours when one of its links, or its preview card, goes to the article
 * URL — or, failing that, when its text, with the HTML taken off, is the text we compose.
 */
import { Parser } from 'htmlparser2';
import { htmlToText } from '../../domain/html.js';
import { collapseWhitespace } from '../../domain/text.js';
import { urlForms } from '../../domain/url-forms.js';
import { jsonField } from './http.js';

/** The parts of a Mastodon status `find` reads. */
export interface StatusSummary {
  id: string;
  /** The status's public page (`url`), when the instance gives one. */
  url: string | null;
  /** The rendered HTML. */
  content: string;
  /** The preview card's link, once the instance has fetched it. */
  cardUrl: string | null;
}

/** The statuses of an account-statuses answer; `null` when the answer is not a list (not "no statuses"). */
export function readStatuses(body: unknown): StatusSummary[] | null {
  if (!Array.isArray(body)) return null;
  const statuses: StatusSummary[] = [];
  for (const item of body) {
    const id = jsonField(item, 'id');
    if (typeof id !== 'string' || id === '') continue;
    const url = jsonField(item, 'url');
    const content = jsonField(item, 'content');
    const cardUrl = jsonField(jsonField(item, 'card'), 'url');
    statuses.push({
      id,
      url: typeof url === 'string' && url !== '' ? url : null,
      content: typeof content === 'string' ? content : '',
      cardUrl: typeof cardUrl === 'string' && cardUrl !== '' ? cardUrl : null,
    });
  }
  return statuses;
}

/** True when `status` links to `url` (a link in its text, or its preview card). */
export function statusLinksTo(status: StatusSummary, url: string): boolean {
  const wanted = new Set(urlForms(url));
  const links = [...contentLinks(status.content), ...(status.cardUrl === null ? [] : [status.cardUrl])];
  return links.some((link) => urlForms(link).some((form) => wanted.has(form)));
}

/** True when `status`'s text, its HTML taken off, is `text` (white space and Unicode normalised). */
export function statusHasText(status: StatusSummary, text: string): boolean {
  return comparable(htmlToText(status.content)) === comparable(text);
}

/** The `href` of every link in `html`, entities decoded. */
export function contentLinks(html: string): string[] {
  const links: string[] = [];
  const parser = new Parser(
    {
      onopentag(name, attributes) {
        if (name === 'a' && typeof attributes.href === 'string') links.push(attributes.href);
      },
    },
    { decodeEntities: true },
  );
  parser.write(html);
  parser.end();
  return links;
}

function comparable(text: string): string {
  return collapseWhitespace(text.normalize('NFC'));
}
