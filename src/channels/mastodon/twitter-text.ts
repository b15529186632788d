/**
 * The one thing Mastodon takes from twitter-text: the list of top-level domains that decides
 * what is a link (Mastodon runs the twitter-text gem 3.1.0, whose list is the npm package 3.1.0's).
 * Loaded through domain/twitter-text.ts, which keeps out a polyfill that slows every regex.
 */
import twitterText from '../../domain/twitter-text.js';

let topLevelDomains: string | undefined;

/**
 * The top-level domains Mastodon's link pattern accepts (generic, country code, punycode), as
 * regular-expression source for a case-insensitive, `u`-flagged pattern.
 */
export function topLevelDomainSource(): string {
  if (topLevelDomains === undefined) {
    const { regexen } = twitterText;
    topLevelDomains = `(?:${regexen.validGTLD.source}|${regexen.validCCTLD.source}|${regexen.validPunycode.source})`;
  }
  return topLevelDomains;
}
