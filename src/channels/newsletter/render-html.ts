/**
 * The HTML parts of the newsletter's emails: links, buttons, the image, the byline, paragraphs.
 * Every value is escaped; only http(s) URLs (checked by the caller) become links or images. Pure.
 */
import { escapeHtml } from '../../domain/escape-html.js';

/** The article's image, as wide as the column. */
export function imageHtml(image: { src: string; alt: string }): string {
  return `<img src="${escapeHtml(image.src)}" alt="${escapeHtml(image.alt)}" width="600">`;
}

/** `text` linked to `url`, or just `text` when there is no URL. */
export function linkOrText(url: string | null, text: string): string {
  return url ? `<a href="${escapeHtml(url)}">${escapeHtml(text)}</a>` : escapeHtml(text);
}

export function buttonHtml(url: string, label: string): string {
  return `<p><a class="button" href="${escapeHtml(url)}">${escapeHtml(label)}</a></p>`;
}

/** "By A, B · 2 March 2026", the date in a `<time>`; '' when there is neither. */
export function bylineHtml(authors: string, publishedAt: Date, dateText: string): string {
  const time = Number.isNaN(publishedAt.getTime())
    ? ''
    : `<time datetime="${escapeHtml(publishedAt.toISOString())}">${escapeHtml(dateText)}</time>`;
  const parts = [authors ? `By ${escapeHtml(authors)}` : '', time].filter(Boolean);
  return parts.length > 0 ? `<p class="byline">${parts.join(' · ')}</p>` : '';
}

/** Plain text as paragraphs (blank lines) with line breaks (single newlines). */
export function paragraphsHtml(text: string): string {
  return text
    .split('\n\n')
    .map((paragraph) => `<p>${paragraph.split('\n').map(escapeHtml).join('<br>')}</p>`)
    .join('');
}

/**
 * Sanitised HTML has `<` only as tag starts, so braces are all that can open a juice code block
 * (`{{…}}`) in it: they become entities, as {@link escapeHtml} makes them in text.
 */
export function escapeBraces(html: string): string {
  return html.replace(/[{}]/g, (character) => (character === '{' ? '&#123;' : '&#125;'));
}
