/**
 * Recognising our own post among a Page's or account's recent posts (reconciliation): by the
 * article's URL in the post's link or text. Pure.
 */

/** A URL reduced to what identifies the page it names: no fragment, no `fbclid`, no trailing slash. */
export function normalizeUrl(url: string): string | null {
  try {
    const parsed = new URL(url);
    parsed.hash = '';
    parsed.searchParams.delete('fbclid');
    return parsed.href.replace(/\/+$/, '');
  } catch {
    return null;
  }
}

/** True when `a` and `b` name the same page (see {@link normalizeUrl}). */
export function sameUrl(a: string, b: string): boolean {
  const left = normalizeUrl(a);
  return left !== null && left === normalizeUrl(b);
}

// What may follow a URL that ends where the text's URL ends: closing punctuation, then a space or the end.
const URL_END = /^[.,;:!?)\]}'"»”’]*(?:\s|$)/u;

/**
 * True when `text` contains `url` as a whole URL: "https://a.example/story" is not found in
 * "https://a.example/story-2", but is in "Read https://a.example/story." Pure.
 */
export function textMentionsUrl(text: string, url: string): boolean {
  if (url === '') return false;
  for (let index = text.indexOf(url); index !== -1; index = text.indexOf(url, index + 1)) {
    if (URL_END.test(text.slice(index + url.length))) return true;
  }
  return false;
}
