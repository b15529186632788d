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

/**
 * Sanitizes article HTML with an allow-list: no scripts, styles, event handlers, iframes or
 * `javascript:` links; relative `href`/`src` become absolute against `baseUrl`.
 */
export function sanitizeContent(html: string, baseUrl: string): string {
  return sanitizeHtml(cleanText(html), {
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
