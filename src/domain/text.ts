/**
 * Text hygiene shared by every output format.
 *
 * XML 1.0 forbids most C0 control characters and lone surrogates; mail headers and
 * JSON consumers choke on them too. We remove them once, on the way in, and again
 * defensively wherever text leaves the system.
 */

// C0 controls except TAB, LF, CR; DEL; C1 controls; and the two XML non-characters.
const FORBIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\uFFFE\uFFFF]/g;

/** Returns `text` without characters no XML 1.0 document may carry, with lone surrogates replaced. */
export function cleanText(text: string): string {
  return text.toWellFormed().replace(FORBIDDEN, '');
}

/** Collapses runs of white space (including newlines) to single spaces and trims. */
export function collapseWhitespace(text: string): string {
  return text.replace(/\s+/gu, ' ').trim();
}

// The bidirectional embeddings and overrides (LRE, RLE, PDF, LRO, RLO: U+202A–U+202E) and
// isolates (LRI, RLI, FSI, PDI: U+2066–U+2069). They reorder whatever follows them, up to the end
// of the line or paragraph when left open, so a title, a subject or a post can be made to read
// differently from what it holds (`Invoice_<RLO>exe.pdf` shows as "Invoice_fdp.exe"), and an
// unclosed one spills into the text a mail client or a social network shows beside it.
// Right-to-left text needs none of them: the Unicode bidi algorithm orders Arabic and Hebrew by
// itself. The marks LRM, RLM and ALM (U+200E, U+200F, U+061C) are kept: invisible strong letters
// that only settle the direction of neighbouring punctuation and digits, reorder nothing else,
// and are what RTL writers use.
const BIDI_CONTROLS = /[\u202A-\u202E\u2066-\u2069]/g;

/** Returns `text` without bidirectional embedding, override and isolate controls (see above). */
export function stripBidiControls(text: string): string {
  return text.replace(BIDI_CONTROLS, '');
}

/**
 * A single-line, clean string: for titles, names, categories, and so email subjects, headers
 * and post texts. Without control characters or bidirectional overrides (see {@link stripBidiControls}).
 */
export function cleanLine(text: string): string {
  return collapseWhitespace(stripBidiControls(cleanText(text)));
}

/**
 * Turns a free-form name into a URL slug: lower case, letters and digits of any script
 * kept, everything else folded into single hyphens. Empty results fall back to a stable hash
 * so that a category called "&&&" still gets a feed.
 */
export function slugify(text: string, fallbackPrefix = 'c'): string {
  const slug = cleanLine(text)
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .normalize('NFC')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 80)
    .replace(/-+$/g, '');
  return slug || `${fallbackPrefix}-${fnv1a(text)}`;
}

/** A short, stable, non-cryptographic hash (FNV-1a, 32 bit) as 8 hex digits. */
export function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(16).padStart(8, '0');
}
