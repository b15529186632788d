/**
 * The newsletter's emails (SPEC §4 "Newsletter"): the per-article email, the digest and the
 * confirmation, each as `{ subject, html, text }`. Pure: no I/O, no clock.
 *
 * The page shell and its CSS are in render-layout.ts, the HTML parts in render-html.ts, the
 * plain-text part in render-text.ts. Every value that comes from an article or from configuration
 * is escaped; only http(s) URLs become links or images. The per-article email is rendered once
 * per batch ({@link renderArticleTemplate}) and each subscriber's unsubscribe URL put into its
 * footer, and nowhere else.
 */
import { randomBytes } from 'node:crypto';
import type { Article } from '../../domain/article.js';
import { escapeHtml } from '../../domain/escape-html.js';
import { htmlToText, sanitizeContent } from '../../domain/html.js';
import { cleanLine, cleanText, stripBidiControls } from '../../domain/text.js';
import { NEWSLETTER_CHANNEL } from './name.js';
import { formatDate, httpUrl } from './render-format.js';
import { bylineHtml, buttonHtml, escapeBraces, imageHtml, linkOrText, paragraphsHtml } from './render-html.js';
import { footerHtml, pageHtml, rowHtml } from './render-layout.js';
import { bylineText, footerText, htmlToPlainText, joinText } from './render-text.js';

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
 * @throws HtmlLimitError (domain/html.ts) for stored content beyond the HTML limits.
 */
export function renderArticleEmail(article: Article, site: EmailSite, links: { unsubscribeUrl: string }): RenderedEmail {
  const unsubscribeUrl = trustedUrl(links.unsubscribeUrl, 'unsubscribeUrl');
  const parts = articleParts(article);
  const body = articleBody(article, parts);
  const subject = cleanSubject(article.title, site.title);
  const siteTitle = cleanLine(site.title);
  const dateText = formatDate(article.publishedAt, site.language, 'UTC');

  const html = pageHtml(site, subject, body.preheader, [
    parts.image ? rowHtml('hero', imageHtml(parts.image)) : '',
    rowHtml(
      'pad',
      [
        `<h1 class="title">${linkOrText(parts.url, parts.title)}</h1>`,
        bylineHtml(parts.authors, article.publishedAt, dateText),
        parts.intro ? `<div class="intro">${paragraphsHtml(parts.intro)}</div>` : '',
        `<div class="content">${body.html}</div>`,
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
    body.text,
    '',
    parts.url ? `Read on ${siteTitle}: ${parts.url}` : '',
    footerText(site, unsubscribeUrl),
  ];
  return { subject, html, text: joinText(text) };
}

/** The per-article email rendered once, for any number of subscribers. */
export interface ArticleEmailTemplate {
  subject: string;
  /**
   * The email with `unsubscribeUrl` (http(s)) as its footer's unsubscribe link, exactly as
   * {@link renderArticleEmail} would render it with that URL.
   * @throws RangeError when `unsubscribeUrl` is not an http(s) URL.
   */
  personalise(unsubscribeUrl: string): RenderedEmail;
}

/**
 * Renders the article's email once (juice and the sanitiser are the costly part) with a slot
 * where each subscriber's unsubscribe link goes. The slot is random per render, so the article's
 * content cannot contain it: a fixed placeholder in an image URL would carry every subscriber's
 * link to whoever serves the image. It must appear exactly once in each part (the footer).
 * @throws as {@link renderArticleEmail} does.
 */
export function renderArticleTemplate(article: Article, site: EmailSite): ArticleEmailTemplate {
  const slot = `UNSUBSCRIBE${randomBytes(16).toString('hex')}`;
  const rendered = renderArticleEmail(article, site, { unsubscribeUrl: slot });
  const [htmlBefore, htmlAfter] = splitAtSlot(rendered.html, slot);
  const [textBefore, textAfter] = splitAtSlot(rendered.text, slot);
  return {
    subject: rendered.subject,
    personalise(unsubscribeUrl) {
      const url = trustedUrl(unsubscribeUrl, 'unsubscribeUrl', { placeholder: false });
      return { subject: rendered.subject, html: htmlBefore + escapeHtml(url) + htmlAfter, text: textBefore + url + textAfter };
    },
  };
}

function splitAtSlot(rendered: string, slot: string): [string, string] {
  const parts = rendered.split(slot);
  if (parts.length !== 2) throw new Error(`the unsubscribe slot appears ${parts.length - 1} times in a rendered email, not once`);
  return [parts[0]!, parts[1]!];
}

/**
 * The digest of the articles published since a subscriber's last one. The caller sends none
 * when `articles` is empty. It shows no article's content, so the content is not even parsed.
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

  const html = pageHtml(site, subject, `${count} from ${siteTitle}`, [
    rowHtml('pad', `<h1 class="title">${escapeHtml(heading)}</h1><p class="byline">${escapeHtml(periodText)}</p>`),
    ...items.map(({ article, parts, dateText, teaser }) =>
      rowHtml(
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

  const html = pageHtml(site, subject, ask, [
    rowHtml(
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
 * A subject that can never carry a header nor read other than it is: every control, line or
 * paragraph separator becomes a space, bidirectional overrides and isolates are dropped (RTL
 * text itself is kept), then the line is trimmed and cut at a word. Empty falls back to `fallback`.
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
  return stripBidiControls(text.toWellFormed())
    .replace(/[\p{Cc}\p{Zl}\p{Zp}]/gu, ' ')
    .replace(/\s+/gu, ' ')
    .trim();
}

// ─── Article parts ──────────────────────────────────────────────────────────────────────────────

/** What both the article email and the digest show of an article. */
interface ArticleParts {
  title: string;
  /** The article URL when it is http(s), else `null` (nothing links to it). */
  url: string | null;
  authors: string;
  image: { src: string; alt: string } | null;
  /** The newsletter override text (`channels.newsletter.text`), shown as an intro. */
  intro: string;
}

function articleParts(article: Article): ArticleParts {
  const choice = article.channels[NEWSLETTER_CHANNEL];
  const imageSrc = article.image ? httpUrl(article.image.url) : null;
  return {
    title: cleanLine(article.title),
    url: httpUrl(article.url),
    authors: article.authors
      .map((author) => cleanLine(author.name))
      .filter(Boolean)
      .join(', '),
    image: imageSrc ? { src: imageSrc, alt: cleanLine(article.image?.alt ?? '') } : null,
    intro: choice && typeof choice.text === 'string' ? cleanParagraphs(choice.text) : '',
  };
}

/** The article's body, in the article email only: its content, or its summary when it has none. */
function articleBody(article: Article, parts: ArticleParts): { html: string; text: string; preheader: string } {
  // Sanitised again although parseArticle already did: the email must be safe for any Article.
  const content = article.contentHtml ? sanitizeContent(article.contentHtml, parts.url ?? 'https://invalid.invalid/') : '';
  const summary = cleanLine(article.summary);
  const useContent = htmlToText(content) !== '';
  return {
    html: useContent ? escapeBraces(content) : summary ? `<p>${escapeHtml(summary)}</p>` : '',
    text: useContent ? htmlToPlainText(content) : summary,
    preheader: parts.intro ? cleanLine(parts.intro) : summary,
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

const PLACEHOLDER = /^[A-Za-z0-9_-]+$/;

/** A URL our own code built: kept verbatim (a placeholder is substituted by string replacement). */
function trustedUrl(value: string, name: string, options: { placeholder: boolean } = { placeholder: true }): string {
  if (options.placeholder && PLACEHOLDER.test(value)) return value;
  if (httpUrl(value) !== null && !/[\s<>"]/.test(value)) return value;
  const expected = options.placeholder ? 'an http(s) URL or a placeholder' : 'an http(s) URL';
  throw new RangeError(`${name} must be ${expected}, got ${JSON.stringify(value.slice(0, 100))}`);
}
