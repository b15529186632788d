/**
 * The newsletter's emails (SPEC §4 "Newsletter"): the per-article email, the digest and the
 * confirmation, each as `{ subject, html, text }`. Pure: no I/O, no clock.
 *
 * The HTML is a single 600 px column of tables (what Outlook's Word engine and Gmail both lay
 * out), its CSS inlined by juice with one media query kept for small screens. Every value that
 * comes from an article or from configuration is escaped; only http(s) URLs become links or
 * images. The per-article email is rendered once per batch and the unsubscribe URL swapped in
 * per subscriber by string replacement, so that URL appears only verbatim (HTML-escaped in the
 * HTML part, as it is in the text part) and is never rewritten.
 */
import juice from 'juice';
import { Parser } from 'htmlparser2';
import type { Article } from '../../domain/article.js';
import { htmlToText, sanitizeContent } from '../../domain/html.js';
import { cleanLine, cleanText } from '../../domain/text.js';
import { NEWSLETTER_CHANNEL } from './name.js';

/** The channel's name: its queue, ledger rows and key in `article.channels`. */

/** Subjects are cut (at a word) to this many UTF-16 units; mail clients show far fewer. */
export const SUBJECT_MAX_LENGTH = 200;

/** The site an email comes from (`SITE_*`, `PUBLIC_BASE_URL`, `MAIL_POSTAL_ADDRESS`). */
export interface EmailSite {
  title: string;
  /** The site's home page. */
  url: string;
  /** Where this service is reached (subscribe page). */
  publicBaseUrl: string;
  /** The sender's postal address, shown in every footer; `null` omits the line. */
  postalAddress: string | null;
  /** BCP 47 language tag of the site (`SITE_LANGUAGE`), for `lang` and dates. */
  language: string;
}

/** A rendered email, ready for the mailer. */
export interface RenderedEmail {
  /** One line, no control characters, at most {@link SUBJECT_MAX_LENGTH} characters. */
  subject: string;
  html: string;
  text: string;
}

/**
 * The email for one article, sent to immediate subscribers.
 *
 * @param links.unsubscribeUrl an http(s) URL, or a placeholder of letters, digits, `-` and `_`
 *   that the caller replaces per subscriber; it appears only verbatim.
 * @throws RangeError when `unsubscribeUrl` is neither (a bug in the caller, not bad input).
 */
export function renderArticleEmail(article: Article, site: EmailSite, links: { unsubscribeUrl: string }): RenderedEmail {
  const unsubscribeUrl = trustedUrl(links.unsubscribeUrl, 'unsubscribeUrl');
  const parts = articleParts(article);
  const subject = cleanSubject(article.title, site.title);
  const siteTitle = cleanLine(site.title);
  const dateText = formatDate(article.publishedAt, site.language, 'UTC');

  const html = page(site, subject, parts.preheader, [
    parts.image ? row('hero', imageHtml(parts.image)) : '',
    row(
      'pad',
      [
        `<h1 class="title">${linkOrText(parts.url, parts.title)}</h1>`,
        bylineHtml(parts.authors, article.publishedAt, dateText),
        parts.intro ? `<div class="intro">${paragraphsHtml(parts.intro)}</div>` : '',
        `<div class="content">${parts.bodyHtml}</div>`,
        parts.url ? buttonHtml(parts.url, `Read on ${siteTitle}`) : '',
      ].join(''),
    ),
    footerHtml(site, unsubscribeUrl),
  ]);

  const text = [
    siteTitle,
    '',
    parts.title,
    parts.url ?? '',
    '',
    bylineText(parts.authors, dateText),
    parts.intro ? `\n${parts.intro}` : '',
    '',
    parts.bodyText,
    '',
    parts.url ? `Read on ${siteTitle}: ${parts.url}` : '',
    footerText(site, unsubscribeUrl),
  ];
  return { subject, html, text: joinText(text) };
}

/**
 * The digest of the articles published since a subscriber's last one. The caller sends none
 * when `articles` is empty.
 */
export function renderDigestEmail(
  articles: readonly Article[],
  site: EmailSite,
  options: { frequency: 'daily' | 'weekly'; unsubscribeUrl: string; periodEnd: Date; timeZone: string },
): RenderedEmail {
  const unsubscribeUrl = trustedUrl(options.unsubscribeUrl, 'unsubscribeUrl');
  const siteTitle = cleanLine(site.title);
  const count = `${articles.length} ${articles.length === 1 ? 'article' : 'articles'}`;
  const subject = cleanSubject(`${siteTitle}: your ${options.frequency} digest — ${count}`, '');
  const heading = `Your ${options.frequency} digest`;
  const periodText = formatDate(options.periodEnd, site.language, options.timeZone);

  const items = articles.map((article) => {
    const parts = articleParts(article);
    const dateText = formatDate(article.publishedAt, site.language, options.timeZone);
    return { article, parts, dateText, teaser: parts.intro || cleanLine(article.summary) };
  });

  const html = page(site, subject, `${count} from ${siteTitle}`, [
    row('pad', `<h1 class="title">${escapeHtml(heading)}</h1><p class="byline">${escapeHtml(periodText)}</p>`),
    ...items.map(({ article, parts, dateText, teaser }) =>
      row(
        'pad item',
        [
          parts.image ? imageHtml(parts.image) : '',
          `<h2 class="item-title">${linkOrText(parts.url, parts.title)}</h2>`,
          bylineHtml(parts.authors, article.publishedAt, dateText),
          teaser ? paragraphsHtml(teaser) : '',
          parts.url ? `<p><a class="more" href="${escapeHtml(parts.url)}">Read on ${escapeHtml(siteTitle)}</a></p>` : '',
        ].join(''),
      ),
    ),
    footerHtml(site, unsubscribeUrl),
  ]);

  const text = [
    `${siteTitle} — ${heading}`,
    periodText,
    ...items.flatMap(({ parts, dateText, teaser }) => [
      '',
      '',
      parts.title,
      parts.url ?? '',
      bylineText(parts.authors, dateText),
      teaser ? `\n${teaser}` : '',
    ]),
    '',
    footerText(site, unsubscribeUrl),
  ];
  return { subject, html, text: joinText(text) };
}

/** The double opt-in email: the only one a pending address ever gets. */
export function renderConfirmationEmail(
  site: EmailSite,
  options: { confirmUrl: string; email: string; frequency: 'immediate' | 'daily' | 'weekly' },
): RenderedEmail {
  const confirmUrl = trustedUrl(options.confirmUrl, 'confirmUrl');
  const siteTitle = cleanLine(site.title);
  const subject = cleanSubject(`Confirm your subscription to ${siteTitle}`, '');
  const email = cleanLine(options.email);
  const what = FREQUENCY_WORDS[options.frequency];
  const ask = `Please confirm that ${email} should get ${what} from ${siteTitle}.`;
  const ignore = 'If you did not ask for this, ignore this email: you will get nothing more from us.';

  const html = page(site, subject, ask, [
    row(
      'pad',
      [
        `<h1 class="title">${escapeHtml(subject)}</h1>`,
        `<p>${escapeHtml(ask)}</p>`,
        buttonHtml(confirmUrl, 'Confirm my subscription'),
        `<p class="small">Or open this link: <a href="${escapeHtml(confirmUrl)}">${escapeHtml(confirmUrl)}</a></p>`,
        `<p class="small">${escapeHtml(ignore)}</p>`,
      ].join(''),
    ),
    footerHtml(site, null),
  ]);
  const text = [siteTitle, '', subject, '', ask, '', `Confirm: ${confirmUrl}`, '', ignore, footerText(site, null)];
  return { subject, html, text: joinText(text) };
}

const FREQUENCY_WORDS = {
  immediate: 'an email for every new article',
  daily: 'a daily digest',
  weekly: 'a weekly digest',
} as const;

/**
 * A subject that can never carry a header: every control, line or paragraph separator becomes
 * a space, then the line is trimmed and cut at a word. Empty falls back to `fallback`.
 */
export function cleanSubject(text: string, fallback: string): string {
  const line = oneLine(text) || oneLine(fallback);
  if (line.length <= SUBJECT_MAX_LENGTH) return line;
  let cut = '';
  // Whole code points only, so a surrogate pair is never split.
  for (const character of line) {
    if (cut.length + character.length > SUBJECT_MAX_LENGTH - 1) break;
    cut += character;
  }
  const space = cut.lastIndexOf(' ');
  if (space > SUBJECT_MAX_LENGTH / 2) cut = cut.slice(0, space);
  return `${cut.replace(/[\s.,;:!?—–-]+$/u, '')}…`;
}

function oneLine(text: string): string {
  return text
    .toWellFormed()
    .replace(/[\p{Cc}\p{Zl}\p{Zp}]/gu, ' ')
    .replace(/\s+/gu, ' ')
    .trim();
}

// ─── Article parts ──────────────────────────────────────────────────────────────────────────────

interface ArticleParts {
  title: string;
  /** The article URL when it is http(s), else `null` (nothing links to it). */
  url: string | null;
  authors: string;
  image: { src: string; alt: string } | null;
  /** The newsletter override text (`channels.newsletter.text`), shown as an intro. */
  intro: string;
  bodyHtml: string;
  bodyText: string;
  preheader: string;
}

function articleParts(article: Article): ArticleParts {
  const url = httpUrl(article.url);
  const choice = article.channels[NEWSLETTER_CHANNEL];
  const intro = choice && typeof choice.text === 'string' ? cleanParagraphs(choice.text) : '';
  // Sanitised again although parseArticle already did: the email must be safe for any Article.
  const content = article.contentHtml ? sanitizeContent(article.contentHtml, url ?? 'https://invalid.invalid/') : '';
  const summary = cleanLine(article.summary);
  const useContent = htmlToText(content) !== '';
  const imageSrc = article.image ? httpUrl(article.image.url) : null;
  return {
    title: cleanLine(article.title),
    url,
    authors: article.authors
      .map((author) => cleanLine(author.name))
      .filter(Boolean)
      .join(', '),
    image: imageSrc ? { src: imageSrc, alt: cleanLine(article.image?.alt ?? '') } : null,
    intro,
    bodyHtml: useContent ? escapeBraces(content) : summary ? `<p>${escapeHtml(summary)}</p>` : '',
    bodyText: useContent ? htmlToPlainText(content) : summary,
    preheader: intro ? cleanLine(intro) : summary,
  };
}

/** Keeps the publisher's paragraphs (blank lines) and line breaks, cleaned of control characters. */
function cleanParagraphs(text: string): string {
  return cleanText(text)
    .replace(/\r\n?/g, '\n')
    .split(/\n\s*\n/)
    .map((paragraph) =>
      paragraph
        .split('\n')
        .map((line) => line.replace(/[^\S\n]+/gu, ' ').trim())
        .filter(Boolean)
        .join('\n'),
    )
    .filter(Boolean)
    .join('\n\n');
}

// ─── HTML ───────────────────────────────────────────────────────────────────────────────────────

const CSS = `
body { margin: 0; padding: 0; background-color: #f3f4f6; -webkit-text-size-adjust: 100%; }
.outer { background-color: #f3f4f6; }
.container { width: 600px; max-width: 600px; background-color: #ffffff; }
.masthead { padding: 20px 32px; font-family: Arial, Helvetica, sans-serif; font-size: 18px; font-weight: bold; }
.masthead a { color: #111827; text-decoration: none; }
.hero img, .item img { display: block; width: 100%; max-width: 100%; height: auto; border: 0; }
.pad { padding: 24px 32px; font-family: Georgia, 'Times New Roman', serif; font-size: 17px; line-height: 1.6; color: #1f2937; }
.item { border-top: 1px solid #e5e7eb; }
.title { margin: 0 0 8px; font-family: Arial, Helvetica, sans-serif; font-size: 28px; line-height: 1.25; color: #111827; }
.item-title { margin: 12px 0 4px; font-family: Arial, Helvetica, sans-serif; font-size: 21px; line-height: 1.3; }
.title a, .item-title a { color: #111827; text-decoration: none; }
.byline { margin: 0 0 16px; font-family: Arial, Helvetica, sans-serif; font-size: 14px; color: #6b7280; }
.intro { font-style: italic; }
.content img { max-width: 100%; height: auto; }
.content a, .more, .small a { color: #1d4ed8; }
.button { display: inline-block; padding: 12px 20px; background-color: #1d4ed8; color: #ffffff; border-radius: 4px; font-family: Arial, Helvetica, sans-serif; font-size: 16px; text-decoration: none; }
.small { font-size: 13px; color: #6b7280; word-break: break-all; }
.footer { padding: 20px 32px; font-family: Arial, Helvetica, sans-serif; font-size: 13px; line-height: 1.5; color: #6b7280; }
.footer a { color: #374151; }
.preheader { display: none; max-height: 0; overflow: hidden; mso-hide: all; }
@media only screen and (max-width: 620px) {
  .container { width: 100% !important; }
  .pad, .footer, .masthead { padding-left: 16px !important; padding-right: 16px !important; }
  .title { font-size: 24px !important; }
}
`;

function page(site: EmailSite, subject: string, preheader: string, rows: string[]): string {
  const siteTitle = cleanLine(site.title);
  const home = httpUrl(site.url);
  const document = `<!DOCTYPE html>
<html lang="${escapeHtml(languageTag(site.language))}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="x-apple-disable-message-reformatting">
<title>${escapeHtml(subject)}</title>
<style>${CSS}</style>
</head>
<body>
<div class="preheader">${escapeHtml(preheader)}</div>
<table role="presentation" class="outer" width="100%" cellpadding="0" cellspacing="0" border="0">
<tr><td align="center">
<table role="presentation" class="container" width="600" cellpadding="0" cellspacing="0" border="0">
${row('masthead', linkOrText(home, siteTitle))}
${rows.filter(Boolean).join('\n')}
</table>
</td></tr>
</table>
</body>
</html>
`;
  // One juice pass per email: inlines the rules, keeps the media query in a <style>.
  return juice(document, { preserveMediaQueries: true, removeStyleTags: true, applyWidthAttributes: true, applyHeightAttributes: false });
}

function row(className: string, inner: string): string {
  return `<tr><td class="${className}">${inner}</td></tr>`;
}

function imageHtml(image: { src: string; alt: string }): string {
  return `<img src="${escapeHtml(image.src)}" alt="${escapeHtml(image.alt)}" width="600">`;
}

function linkOrText(url: string | null, text: string): string {
  return url ? `<a href="${escapeHtml(url)}">${escapeHtml(text)}</a>` : escapeHtml(text);
}

function buttonHtml(url: string, label: string): string {
  return `<p><a class="button" href="${escapeHtml(url)}">${escapeHtml(label)}</a></p>`;
}

function bylineHtml(authors: string, publishedAt: Date, dateText: string): string {
  const time = Number.isNaN(publishedAt.getTime())
    ? ''
    : `<time datetime="${escapeHtml(publishedAt.toISOString())}">${escapeHtml(dateText)}</time>`;
  const parts = [authors ? `By ${escapeHtml(authors)}` : '', time].filter(Boolean);
  return parts.length > 0 ? `<p class="byline">${parts.join(' · ')}</p>` : '';
}

function paragraphsHtml(text: string): string {
  return text
    .split('\n\n')
    .map((paragraph) => `<p>${paragraph.split('\n').map(escapeHtml).join('<br>')}</p>`)
    .join('');
}

function footerHtml(site: EmailSite, unsubscribeUrl: string | null): string {
  const siteTitle = escapeHtml(cleanLine(site.title));
  const subscribePage = httpUrl(site.publicBaseUrl);
  const lines = [
    unsubscribeUrl
      ? `You get this email because you subscribed to ${siteTitle}. <a href="${escapeHtml(unsubscribeUrl)}">Unsubscribe</a>`
      : `This email was sent because someone asked to subscribe this address to ${siteTitle}.`,
    site.postalAddress && cleanLine(site.postalAddress) ? escapeHtml(cleanLine(site.postalAddress)) : '',
    subscribePage && !unsubscribeUrl ? `<a href="${escapeHtml(subscribePage)}">${escapeHtml(subscribePage)}</a>` : '',
  ];
  return row(
    'footer',
    lines
      .filter(Boolean)
      .map((line) => `<p>${line}</p>`)
      .join(''),
  );
}

/**
 * Escapes text for HTML text and quoted attributes. `{` and `}` too: juice treats `{{…}}` and
 * `<%…%>` as template blocks it must not parse, and publisher text must not be able to make it.
 */
function escapeHtml(text: string): string {
  return text.replace(/[&<>"'{}]/g, (character) => ENTITIES[character] ?? character);
}

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '{': '&#123;',
  '}': '&#125;',
};

/** Sanitised HTML has `<` only as tag starts, so braces are all that can open a juice block. */
function escapeBraces(html: string): string {
  return html.replace(/[{}]/g, (character) => ENTITIES[character] ?? character);
}

// ─── Plain text ─────────────────────────────────────────────────────────────────────────────────

function bylineText(authors: string, dateText: string): string {
  return [authors ? `By ${authors}` : '', dateText].filter(Boolean).join(' · ');
}

function footerText(site: EmailSite, unsubscribeUrl: string | null): string {
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
function joinText(lines: string[]): string {
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
function htmlToPlainText(html: string): string {
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

// ─── URLs, dates ────────────────────────────────────────────────────────────────────────────────

/** The URL, normalised, when it is absolute http(s); anything else (`javascript:`…) is `null`. */
function httpUrl(value: string): string | null {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
  } catch {
    return null;
  }
}

const PLACEHOLDER = /^[A-Za-z0-9_-]+$/;

/** A URL our own code built: kept verbatim (it is substituted by string replacement). */
function trustedUrl(value: string, name: string): string {
  if (PLACEHOLDER.test(value)) return value;
  if (httpUrl(value) !== null && !/[\s<>"]/.test(value)) return value;
  throw new RangeError(`${name} must be an http(s) URL or a placeholder, got ${JSON.stringify(value.slice(0, 100))}`);
}

function languageTag(language: string): string {
  try {
    return Intl.getCanonicalLocales(language)[0] ?? 'en';
  } catch {
    return 'en';
  }
}

/** "2 March 2026" in the site's language, or '' for an invalid date. */
function formatDate(date: Date, language: string, timeZone: string): string {
  if (Number.isNaN(date.getTime())) return '';
  const options: Intl.DateTimeFormatOptions = { dateStyle: 'long' };
  try {
    return new Intl.DateTimeFormat(languageTag(language), { ...options, timeZone }).format(date);
  } catch {
    // An unknown time zone: UTC rather than no date.
    return new Intl.DateTimeFormat(languageTag(language), { ...options, timeZone: 'UTC' }).format(date);
  }
}
