/**
 * The admin pages' shell and the small pieces every page uses: state badges, times, channel
 * labels, links out. Pages are complete HTML documents with no script; every value is escaped
 * by the `markup` template.
 */
import { markup, type SafeHtml } from './html.js';

/** Where the stylesheet is served (the pages' CSP allows styles from 'self' only). */
export const STYLESHEET_PATH = '/admin/assets/admin.css';

export type Section = 'articles' | 'subscribers' | 'queues';

export interface PageOptions {
  /** The document title (the site's name is added). */
  title: string;
  /** The site's name (SITE_TITLE). */
  siteTitle: string;
  /** The navigation entry to mark as current; absent on pages outside the navigation (login). */
  section?: Section;
  /** Whether the visitor is signed in: shows the navigation. */
  signedIn?: boolean;
  /** The session's CSRF token, for the log-out form (absent for bearer-token requests). */
  csrfToken?: string;
}

const SECTIONS: ReadonlyArray<{ section: Section; href: string; label: string }> = [
  { section: 'articles', href: '/admin/articles', label: 'Articles' },
  { section: 'subscribers', href: '/admin/subscribers', label: 'Subscribers' },
  { section: 'queues', href: '/admin/queues', label: 'Queues' },
];

/** A whole page: skip link, navigation, one `main` holding `body`. */
export function renderPage(options: PageOptions, body: SafeHtml): string {
  const links = SECTIONS.map(
    (entry) =>
      markup`<li><a href="${entry.href}"${options.section === entry.section ? markup` aria-current="page"` : ''}>${entry.label}</a></li>`,
  );
  const logout = markup`<li>
<form method="post" action="/admin/logout">${csrfField(options.csrfToken)}<button type="submit">Log out</button></form>
</li>`;
  const nav = options.signedIn
    ? markup`<nav aria-label="Admin sections"><ul>
${links}
${options.csrfToken === undefined ? '' : logout}
</ul></nav>`
    : '';
  // The pages' own words are English whatever SITE_LANGUAGE says the articles are in.
  return markup`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<title>${options.title} — ${options.siteTitle} admin</title>
<link rel="stylesheet" href="${STYLESHEET_PATH}">
</head>
<body>
<a class="skip" href="#main">Skip to main content</a>
<header class="top"><div class="bar">
<span class="brand">${options.siteTitle} admin</span>
${nav}
</div></header>
<main id="main" tabindex="-1">
${body}
</main>
</body>
</html>
`.value;
}

/** The hidden field every form of a session carries; nothing for bearer-token requests. */
export function csrfField(token: string | undefined): SafeHtml {
  return token === undefined ? markup`` : markup`<input type="hidden" name="_csrf" value="${token}">`;
}

/** A state as a badge: the word itself, coloured by a class (never by colour alone). */
export function badge(state: string): SafeHtml {
  const known = /^[a-z_]+$/.test(state) ? state : 'unknown';
  return markup`<span class="badge badge-${known}">${state.replace(/_/g, ' ')}</span>`;
}

/** A time as people read it (UTC, to the second) with its machine form. */
export function time(date: Date | null | undefined): SafeHtml {
  if (!date) return markup`<span class="none">—</span>`;
  const iso = date.toISOString();
  return markup`<time datetime="${iso}">${iso.replace('T', ' ').replace(/\.\d{3}Z$/, ' UTC')}</time>`;
}

/** A channel's name as a label: `x` → `X`, `newsletter` → `Newsletter`. */
export function channelLabel(channel: string): string {
  return channel.charAt(0).toUpperCase() + channel.slice(1);
}

/** An http(s) URL, or undefined: only those become links (an outbox's file:// URL is shown as text). */
export function webUrl(url: string | null | undefined): string | undefined {
  if (!url || !/^https?:\/\//i.test(url)) return undefined;
  try {
    return new URL(url).href;
  } catch {
    return undefined;
  }
}

/** A short message in a box that assistive technology announces. */
export function notice(text: string | undefined, kind: 'notice' | 'alert' = 'notice'): SafeHtml {
  if (!text) return markup``;
  return kind === 'alert' ? markup`<div class="alert" role="alert">${text}</div>` : markup`<div class="notice" role="status">${text}</div>`;
}
