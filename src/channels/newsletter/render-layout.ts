/**
 * The shell every newsletter email shares: a single 600 px column of tables (what Outlook's Word
 * engine and Gmail both lay out) between the masthead and the footer, and the CSS that juice
 * inlines into it, keeping one media query for small screens. Pure.
 */
import juice from 'juice';
import { escapeHtml } from '../../domain/escape-html.js';
import { cleanLine } from '../../domain/text.js';
import { linkOrText } from './render-html.js';
import { httpUrl, languageTag } from './render-format.js';
import type { EmailSite } from './render.js';

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

/**
 * The whole email document: `rows` (see {@link rowHtml}; empty ones are left out) under the
 * masthead, with `preheader` as the hidden inbox preview, the CSS inlined.
 */
export function pageHtml(site: EmailSite, subject: string, preheader: string, rows: string[]): string {
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
${rowHtml('masthead', linkOrText(home, siteTitle))}
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

/** One row of the column; `className` picks its CSS (`pad`, `hero`, `footer`…). */
export function rowHtml(className: string, inner: string): string {
  return `<tr><td class="${className}">${inner}</td></tr>`;
}

/**
 * The footer row: why this email came, the unsubscribe link (`null` for the confirmation, which
 * links the subscribe page instead) and the postal address.
 */
export function footerHtml(site: EmailSite, unsubscribeUrl: string | null): string {
  const siteTitle = escapeHtml(cleanLine(site.title));
  const subscribePage = httpUrl(site.publicBaseUrl);
  const lines = [
    unsubscribeUrl
      ? `You get this email because you subscribed to ${siteTitle}. <a href="${escapeHtml(unsubscribeUrl)}">Unsubscribe</a>`
      : `This email was sent because someone asked to subscribe this address to ${siteTitle}.`,
    site.postalAddress && cleanLine(site.postalAddress) ? escapeHtml(cleanLine(site.postalAddress)) : '',
    subscribePage && !unsubscribeUrl ? `<a href="${escapeHtml(subscribePage)}">${escapeHtml(subscribePage)}</a>` : '',
  ];
  return rowHtml(
    'footer',
    lines
      .filter(Boolean)
      .map((line) => `<p>${line}</p>`)
      .join(''),
  );
}
