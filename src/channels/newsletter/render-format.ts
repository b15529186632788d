/**
 * Values the newsletter's emails show, made safe and readable: which URLs may become links,
 * the language tag, dates in the site's language. Pure.
 */

/** The URL, normalised, when it is absolute http(s); anything else (`javascript:`…) is `null`. */
export function httpUrl(value: string): string | null {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
  } catch {
    return null;
  }
}

/** The canonical BCP 47 form of `language`, or `en` when it is not a valid tag. */
export function languageTag(language: string): string {
  try {
    return Intl.getCanonicalLocales(language)[0] ?? 'en';
  } catch {
    return 'en';
  }
}

/** "2 March 2026" in the site's language, or '' for an invalid date. */
export function formatDate(date: Date, language: string, timeZone: string): string {
  if (Number.isNaN(date.getTime())) return '';
  const options: Intl.DateTimeFormatOptions = { dateStyle: 'long' };
  try {
    return new Intl.DateTimeFormat(languageTag(language), { ...options, timeZone }).format(date);
  } catch {
    // An unknown time zone: UTC rather than no date.
    return new Intl.DateTimeFormat(languageTag(language), { ...options, timeZone: 'UTC' }).format(date);
  }
}
