/**
 * Which parts of a status Mastodon counts as links (each counts `characters_reserved_per_url`,
 * 23 by default). A port of what `StatusLengthValidator#countable_text` runs:
 * `Extractor.extract_urls_with_indices(text, extract_url_without_protocol: false)` from the
 * twitter-text gem 3.1.0, with the patterns Mastodon replaces in
 * `config/initializers/twitter_regex.rb` (more schemes, any non-space path, Unicode queries).
 *
 * A match counts only when it has a scheme; a match without one is skipped but still consumed,
 * so `example.com/?next=https://b.example` holds no counted link. Where Mastodon's answer depends
 * on what we cannot reproduce exactly (its IDN conversion of a non-ASCII domain), the link is
 * reported as `certain: false`, and the caller counts the larger of its length and the reserve.
 */
import { topLevelDomainSource } from './twitter-text.js';

/** A counted link: `[start, end)` in UTF-16 code units of the text it was found in. */
export interface LinkSpan {
  start: number;
  end: number;
  /** False when Mastodon might not count it as a link (its domain is not ASCII). */
  certain: boolean;
}

// twitter-text's character sets (Ruby gem 3.1.0), written for a `u` pattern.
const SPACES = '\\t-\\r \\u0085\\u00A0\\u1680\\u180E\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000';
const DIRECTIONAL = '\\u061C\\u200E\\u200F\\u202A-\\u202E\\u2066-\\u2069';
const INVALID = '\\uFFFE\\uFEFF\\uFFFF';
const PUNCTUATION = '!"#$%&\'()*+,\\-./:;<=>?@\\[\\]\\^_{|}~';
const CONTROL = '\\u0000-\\u001F\\u007F';
// Mastodon's UCHARS: what a query may hold beyond ASCII.
const UCHARS =
  '\\u{A0}-\\u{D7FF}\\u{F900}-\\u{FDCF}\\u{FDF0}-\\u{FFEF}\\u{10000}-\\u{1FFFD}\\u{20000}-\\u{2FFFD}\\u{30000}-\\u{3FFFD}' +
  '\\u{40000}-\\u{4FFFD}\\u{50000}-\\u{5FFFD}\\u{60000}-\\u{6FFFD}\\u{70000}-\\u{7FFFD}\\u{80000}-\\u{8FFFD}\\u{90000}-\\u{9FFFD}' +
  '\\u{A0000}-\\u{AFFFD}\\u{B0000}-\\u{BFFFD}\\u{C0000}-\\u{CFFFD}\\u{D0000}-\\u{DFFFD}\\u{E1000}-\\u{EFFFD}\\u{E000}-\\u{F8FF}' +
  '\\u{F0000}-\\u{FFFFD}\\u{100000}-\\u{10FFFD}';

const PRECEDING = `(?:[^A-Za-z0-9@＠$#＃${INVALID}]|[${DIRECTIONAL}]|^)`;
const SCHEME = '(?:https?|dat|dweb|ipfs|ipns|ssb|gopher|gemini):\\/\\/';
const DOMAIN_CHAR = `[^${DIRECTIONAL}${PUNCTUATION}${SPACES}${CONTROL}${INVALID}]`;
const SUBDOMAIN = `(?:(?:${DOMAIN_CHAR}(?:[_\\-]|${DOMAIN_CHAR})*)?${DOMAIN_CHAR}\\.)`;
const DOMAIN_NAME = `(?:(?:${DOMAIN_CHAR}(?:-|${DOMAIN_CHAR})*)?${DOMAIN_CHAR}\\.)`;
const PATH_CHAR = '[^\\p{White_Space}<>()?]';
const BALANCED_PARENS = `\\((?:${PATH_CHAR}+|(?:${PATH_CHAR}*\\(${PATH_CHAR}+\\)${PATH_CHAR}*))\\)`;
const PATH_END = `(?:[^\\p{White_Space}()?!*"'「」<>;:=,.$%\\[\\]~&|@]|${BALANCED_PARENS})`;
const PATH = `(?:(?:${PATH_CHAR}*(?:${BALANCED_PARENS}${PATH_CHAR}*)*${PATH_END})|(?:${PATH_CHAR}+\\/))`;
const QUERY_CHAR = `[a-z0-9!?*'();:&=+$/%#\\[\\]\\-_.,~|@\\^${UCHARS}]`;
const QUERY_END = `[a-z0-9_&=#/\\-${UCHARS}]`;

// twitter-text's limits: a t.co slug of at most 40, a link of at most 4096 characters.
const MAX_TCO_SLUG_LENGTH = 40;
const MAX_URL_LENGTH = 4096;
const TCO_URL = /^https?:\/\/t\.co\/([a-z0-9]+)/i;
// No part of a link (domain, path, query) may hold these, so a link never spans them, and only
// the runs between them that hold "://" need searching. (A query may hold Unicode spaces.)
const RUN = /[^\t-\r \u0085]+/gu;

let urlPattern: RegExp | undefined;

function pattern(): RegExp {
  // Groups: 1 the link, 2 its scheme (absent: not counted), 3 its domain.
  urlPattern ??= new RegExp(
    `${PRECEDING}((${SCHEME})?(${SUBDOMAIN}*${DOMAIN_NAME}${topLevelDomainSource()})(?::[0-9]+)?(?:\\/${PATH}*)?(?:\\?${QUERY_CHAR}*${QUERY_END})?)`,
    'giu',
  );
  return urlPattern;
}

/** The links Mastodon counts in `text`, in order. */
export function findCountedLinks(text: string): LinkSpan[] {
  if (!text.includes('://')) return [];
  const links: LinkSpan[] = [];
  for (const run of text.matchAll(RUN)) {
    if (run[0].includes('://')) links.push(...linksInRun(run[0], run.index));
  }
  return links;
}

function linksInRun(run: string, offset: number): LinkSpan[] {
  const links: LinkSpan[] = [];
  const search = pattern();
  search.lastIndex = 0;
  for (let match = search.exec(run); match !== null; match = search.exec(run)) {
    const [whole, url = '', scheme, domain = ''] = match;
    if (scheme === undefined) continue; // a link without a scheme: consumed, not counted
    const start = match.index + whole.length - url.length;
    let end = start + url.length;
    const tco = TCO_URL.exec(url);
    if (tco) {
      // twitter-text keeps a t.co link to its slug (the query aside: counting more is safe).
      if (tco[1]!.length > MAX_TCO_SLUG_LENGTH) continue;
      end = start + tco[0].length;
    }
    const ascii = /^[\x00-\x7F]*$/.test(domain);
    if (ascii && [...url].length > MAX_URL_LENGTH) continue;
    links.push({ start: offset + start, end: offset + end, certain: ascii });
  }
  return links;
}
