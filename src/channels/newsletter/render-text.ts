/**
 * The plain-text part of the newsletter's emails: the article's HTML as readable text, the
 * byline, the footer, and the joining of lines. Pure.
 */
import { Parser } from 'htmlparser2';
import { cleanLine, cleanText } from '../../domain/text.js';
import { httpUrl } from './render-format.js';
import type { EmailSite } from './render.js';

/** "By A, B · 2 March 2026", or whichever half there is. */
export function bylineText(authors: string, dateText: string): string {
  return [authors ? `By ${authors}` : '', dateText].filter(Boolean).join(' · ');
}

/** The footer after a `--` line: why this email came, the unsubscribe link, the postal address. */
export function footerText(site: EmailSite, unsubscribeUrl: string | null): string {
  const siteTitle = cleanLine(site.title);
  const postal = site.postalAddress ? cleanLine(site.postalAddress) : '';
  const lines = [
    '',
    '--',
    unsubscribeUrl
      ? `You get this email because you subscribed to ${siteTitle}.\nUnsubscribe: ${unsubscribeUrl}`
      : `This email was sent because someone asked to subscribe this address to ${siteTitle}.`,
    postal,
  ];
  return lines.filter((line, index) => index < 2 || line !== '').join('\n');
}

/** Joins lines, with at most one blank line in a row and no trailing spaces. */
export function joinText(lines: string[]): string {
  return `${lines
    .join('\n')
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim()}\n`;
}

const TEXT_BLOCKS = new Set(
  'p div h1 h2 h3 h4 h5 h6 blockquote pre ul ol dl dt dd figure figcaption table tr caption hr section'.split(' '),
);

/**
 * Readable text from sanitised HTML: blocks separated by blank lines, list items as "- ",
 * links as "text (url)" (mail clients make the URL clickable), images as "[alt]".
 */
export function htmlToPlainText(html: string): string {
  const out: string[] = [];
  const links: string[] = [];
  let linkText = '';
  const write = (text: string) => {
    if (links.length > 0) linkText += text;
    out.push(text);
  };
  const parser = new Parser(
    {
      onopentag(name, attributes) {
        if (TEXT_BLOCKS.has(name)) write('\n\n');
        else if (name === 'br') write('\n');
        else if (name === 'li') write('\n- ');
        else if (name === 'td' || name === 'th') write(' ');
        else if (name === 'img' && attributes.alt) write(`[${attributes.alt}]`);
        if (name === 'a') {
          links.push(httpUrl(attributes.href ?? '') ?? '');
          linkText = '';
        }
      },
      onclosetag(name) {
        if (name === 'a') {
          const href = links.pop() ?? '';
          const shown = linkText.replace(/\s+/g, ' ').trim();
          if (href && shown !== href && `${shown}/` !== href) out.push(` (${href})`);
        }
        if (TEXT_BLOCKS.has(name)) write('\n\n');
      },
      ontext(text) {
        write(text);
      },
    },
    { decodeEntities: true },
  );
  parser.write(html);
  parser.end();
  return cleanText(out.join(''))
    .split('\n')
    .map((line) => line.replace(/[^\S\n]+/gu, ' ').trim())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
