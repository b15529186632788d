/**
 * Recognising a link a platform gave back: X and Mastodon may return the URL we posted
 * normalised (a host in capitals lowered, a trailing slash added), so a post is matched on
 * either form. Pure.
 */

/** `url` as written and as `new URL` normalises it; only as written when it is not a URL. */
export function urlForms(url: string): string[] {
  const forms = new Set([url]);
  try {
    forms.add(new URL(url).href);
  } catch {
    // not a URL: compare as written
  }
  return [...forms];
}
