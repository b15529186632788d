/**
 * HTML handling for article content: an allow-list sanitizer and a plain-text extractor.
 * Pure functions; the allow-list is what every channel may rely on.
 */
import sanitizeHtml from 'sanitize-html';
import { Parser } from 'htmlparser2';
import { cleanText, collapseWhitespace } from './text.js';

const ALLOWED_TAGS = [
  'p',
  'br',
  'hr',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'blockquote',
  'q',
  'cite',
  'pre',
  'code',
  'ul',
  'ol',
  'li',
  'dl',
  'dt',
  'dd',
  'strong',
  'b',
  'em',
  'i',
  'u',
  's',
  'sub',
  'sup',
  'small',
  'mark',
  'abbr',
  'time',
  'a',
  'img',
  'figure',
  'figcaption',
  'table',
  'thead',
  'tbody',
  'tfoot',
  'tr',
  'th',
  'td',
  'caption',
];

const ALLOWED_ATTRIBUTES: sanitizeHtml.IOptions['allowedAttributes'] = {
  a: ['href', 'title', 'rel'],
  img: ['src', 'alt', 'title', 'width', 'height'],
  abbr: ['title'],
  time: ['datetime'],
  td: ['colspan', 'rowspan'],
  th: ['colspan', 'rowspan', 'scope'],
  ol: ['start'],
};

/** Resolves a possibly relative link against the article URL; feed readers have no base URL. */
function absolutize(value: string | undefined, base: string): string | undefined {
  if (value === undefined) return undefined;
  try {
    return new URL(value, base).href;
  } catch {
    return undefined;
  }
}

// ─── Limits ─────────────────────────────────────────────────────────────────────────────────────
//
// Article HTML comes from strangers (or from a CMS a stranger writes into), and the libraries
// that handle it are not linear in its shape: htmlparser2, under sanitize-html, keeps the open
// elements in an array it `unshift`s, so its time grows with the square of the depth (200,000
// nested `<b>` froze the process for minutes, issue #9), and juice, which inlines the email's
// CSS, walks the tree recursively and overflows the stack at about 5,000 levels. So the shape is
// checked, in one linear pass, before anything else parses the content.
//
// Real articles are shallow and modest: CMS wrappers, a figure, a blockquote, a list and a
// table inside it rarely reach 30 levels; a long read has one or two thousand elements, a large
// results table (650 rows of five cells and a link) under 5,000. The limits leave room above
// that while keeping what follows quick. Measured: the check reads any 2 MB body in well under a
// second (tens of ms when it stops at a limit); a body at the limits is sanitised in about 0.2 s,
// inlined by juice for the email in about 0.5 s (juice costs ~50 µs per element, whatever the
// depth: at 20,000 elements it took 1–1.5 s) and rendered into each feed in tens of ms.

/** Deepest element nesting article HTML may have, counted as an HTML parser builds the tree. */
export const HTML_MAX_DEPTH = 100;
/** Most elements (start tags, void ones included, allowed or not) article HTML may have. */
export const HTML_MAX_ELEMENTS = 10_000;
/** Longest article HTML, in UTF-16 code units: what the 2 MB request limit can carry at most. */
export const HTML_MAX_LENGTH = 2 * 1024 * 1024;

/** Thrown by {@link sanitizeContent} for HTML beyond the limits, rather than spending minutes on it. */
export class HtmlLimitError extends Error {
  constructor(message: string) {
    super(`HTML ${message}`);
    this.name = 'HtmlLimitError';
  }
}

/**
 * Checks article HTML against {@link HTML_MAX_LENGTH}, {@link HTML_MAX_DEPTH} and
 * {@link HTML_MAX_ELEMENTS}; returns what is wrong (a phrase to follow the field name), or null.
 *
 * Depth is counted from the same parser, with the same options, that sanitize-html uses, so it
 * is the depth the sanitizer would build: unclosed elements stay open, void elements (`<br>`,
 * `<img>`) and implied closes (`<p>`, `<li>`) do not nest, stray closing tags close nothing, and
 * markup inside raw-text elements (`<script>`, `<textarea>`) is text. Linear time: the parser is
 * paused at the first element past a limit, so its own stack never grows beyond the limit.
 */
export function checkHtmlLimits(html: string): string | null {
  if (html.length > HTML_MAX_LENGTH) return `is longer than ${HTML_MAX_LENGTH} characters`;
  // What sanitizeContent parses: removing control characters can join `<`, NUL, `b>` into a tag.
  return shapeProblem(cleanText(html));
}

/** Depth and element count of HTML already cleaned of control characters: see {@link checkHtmlLimits}. */
function shapeProblem(cleaned: string): string | null {
  let depth = 0;
  let elements = 0;
  let problem: string | null = null;
  const parser = new Parser(
    {
      // `onopentagname`, not `onopentag`: without an `onopentag` handler the parser builds no
      // attribute objects, so a tag with 100,000 attributes costs the check next to nothing.
      onopentagname() {
        depth++;
        elements++;
        if (depth > HTML_MAX_DEPTH) {
          problem = `has elements nested more than ${HTML_MAX_DEPTH} deep; flatten the markup`;
        } else if (elements > HTML_MAX_ELEMENTS) {
          problem = `has more than ${HTML_MAX_ELEMENTS} elements`;
        }
        if (problem !== null) parser.pause();
      },
      onclosetag() {
        depth--;
      },
    },
    // sanitize-html's parser options.
    { decodeEntities: true },
  );
  parser.write(cleaned);
  if (problem === null) parser.end();
  return problem;
}

/**
 * Sanitizes article HTML with an allow-list: no scripts, styles, event handlers, iframes or
 * `javascript:` links; relative `href`/`src` become absolute against `baseUrl`.
 *
 * Throws {@link HtmlLimitError} for HTML nested deeper than {@link HTML_MAX_DEPTH} or with more
 * than {@link HTML_MAX_ELEMENTS} elements, which `parseArticle` refuses at ingest: content stored
 * before the limits existed fails fast here (a render error) instead of freezing the process.
 */
export function sanitizeContent(html: string, baseUrl: string): string {
  // Length is not checked here: sanitising is linear in it, and stored content, already
  // sanitised, can be longer than what came in (`&` → `&amp;`, links made absolute).
  const cleaned = cleanText(html);
  const problem = shapeProblem(cleaned);
  if (problem !== null) throw new HtmlLimitError(problem);
  return sanitizeHtml(cleaned, {
    allowedTags: ALLOWED_TAGS,
    allowedAttributes: ALLOWED_ATTRIBUTES,
    allowedSchemes: ['http', 'https', 'mailto'],
    allowedSchemesByTag: { img: ['http', 'https'] },
    allowProtocolRelative: false,
    disallowedTagsMode: 'discard',
    nonTextTags: ['script', 'style', 'textarea', 'option', 'noscript', 'iframe', 'object', 'template'],
    transformTags: {
      a: (tagName, attribs) => {
        const href = absolutize(attribs.href, baseUrl);
        const next: Record<string, string> = { ...attribs };
        if (href === undefined) delete next.href;
        else next.href = href;
        return { tagName, attribs: next };
      },
      img: (tagName, attribs) => {
        const src = absolutize(attribs.src, baseUrl);
        const next: Record<string, string> = { ...attribs };
        if (src === undefined) delete next.src;
        else next.src = src;
        return { tagName, attribs: next };
      },
    },
  }).trim();
}

const BLOCK_TAGS = new Set([
  'p',
  'br',
  'hr',
  'div',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'blockquote',
  'pre',
  'ul',
  'ol',
  'li',
  'dl',
  'dt',
  'dd',
  'figure',
  'figcaption',
  'table',
  'tr',
  'td',
  'th',
  'caption',
  'section',
]);

/** Extracts readable text from HTML (entities decoded, blocks separated by spaces). */
export function htmlToText(html: string): string {
  const parts: string[] = [];
  let skipDepth = 0;
  const parser = new Parser(
    {
      onopentag(name) {
        if (name === 'script' || name === 'style') skipDepth++;
        if (BLOCK_TAGS.has(name)) parts.push(' ');
      },
      onclosetag(name) {
        if (name === 'script' || name === 'style') skipDepth = Math.max(0, skipDepth - 1);
        if (BLOCK_TAGS.has(name)) parts.push(' ');
      },
      ontext(text) {
        if (skipDepth === 0) parts.push(text);
      },
    },
    { decodeEntities: true },
  );
  parser.write(html);
  parser.end();
  return collapseWhitespace(cleanText(parts.join('')));
}

/** The first `maxWords` words of `text`, with an ellipsis when something was cut. */
export function firstWords(text: string, maxWords: number, maxChars: number): string {
  const words = text.split(' ').filter(Boolean);
  let out = words.slice(0, maxWords).join(' ');
  let cut = words.length > maxWords;
  if (out.length > maxChars - 1) {
    out = Array.from(out)
      .slice(0, maxChars - 1)
      .join('');
    const space = out.lastIndexOf(' ');
    if (space > maxChars / 2) out = out.slice(0, space);
    cut = true;
  }
  return cut ? `${out.replace(/[\s.,;:!?-]+$/u, '')}…` : out;
}
