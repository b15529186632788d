/**
 * The newsletter's public pages (sign-up, confirmation, unsubscribe): pure functions from data to
 * a complete HTML document. No JavaScript anywhere, inline CSS only (the routes send a CSP that
 * allows nothing else), and every interpolated value goes through `escapeHtml`.
 */
import { escapeHtml } from '../../domain/escape-html.js';
import type { ErrorDetail } from '../../errors.js';

/** What the pages say about the site they belong to. */
export interface PageSite {
  /** Shown in every page title. */
  title: string;
  /** An http(s) link back to the site, when known. */
  url?: string;
  /** The `<html lang>` value. @defaultValue 'en' */
  language?: string;
}

export interface SubscribeCategory {
  slug: string;
  name: string;
}

/** What the reader entered, kept when the form comes back with errors. */
export interface SubscribeFormState {
  email?: string;
  name?: string;
  frequency?: string;
  categories?: string[];
  errors?: ErrorDetail[];
}

export type Frequency = 'immediate' | 'daily' | 'weekly';

const FREQUENCIES: Array<{ value: Frequency; label: string }> = [
  { value: 'immediate', label: 'Every article, as it is published' },
  { value: 'daily', label: 'A daily digest' },
  { value: 'weekly', label: 'A weekly digest' },
];

const STYLE = `
body{margin:0;font:1.0625rem/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1a1a1a;background:#fafafa}
main{max-width:34rem;margin:0 auto;padding:1.5rem 1rem 3rem}
h1{font-size:1.6rem;line-height:1.25;margin:.5rem 0 1rem}
label.field{display:block;font-weight:600;margin:1.1rem 0 .3rem}
input[type=email],input[type=text]{box-sizing:border-box;width:100%;padding:.6rem;font:inherit;border:1px solid #767676;border-radius:4px;background:#fff}
input[aria-invalid=true]{border:2px solid #b00020}
fieldset{border:1px solid #bbb;border-radius:4px;margin:1.1rem 0;padding:.4rem 1rem .6rem}
legend{font-weight:600;padding:0 .3rem}
.choice{display:flex;gap:.6rem;align-items:baseline;margin:.45rem 0}
.choice input{flex:none;width:1.15rem;height:1.15rem}
button{font:inherit;font-weight:600;padding:.7rem 1.3rem;margin-top:.5rem;border:0;border-radius:4px;background:#0b57d0;color:#fff;cursor:pointer}
input:focus-visible,button:focus-visible,a:focus-visible{outline:3px solid #f9a825;outline-offset:2px}
.error{color:#b00020;font-weight:600;margin:.2rem 0}
.errors{border:2px solid #b00020;border-radius:4px;padding:.3rem 1rem;margin:1rem 0;background:#fff}
.note{font-size:.92rem;color:#444}
a{color:#0b57d0}
`.trim();

function safeLink(url: string | undefined): string | undefined {
  return url !== undefined && /^https?:\/\//i.test(url) ? url : undefined;
}

function layout(site: PageSite, heading: string, body: string): string {
  const home = safeLink(site.url);
  const back = home ? `\n<p class="note"><a href="${escapeHtml(home)}">Back to ${escapeHtml(site.title)}</a></p>` : '';
  return `<!doctype html>
<html lang="${escapeHtml(site.language || 'en')}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${escapeHtml(heading)} — ${escapeHtml(site.title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<h1>${escapeHtml(heading)}</h1>
${body}${back}
</main>
</body>
</html>
`;
}

/** The message shown next to `field`, and the attributes tying the control (or fieldset) to it. */
function fieldError(field: string, errors: ErrorDetail[]): { message: string; describedBy: string; invalid: string } {
  const messages = errors.filter((e) => e.field === field).map((e) => e.message);
  if (messages.length === 0) return { message: '', describedBy: '', invalid: '' };
  const errorId = `${field}-error`;
  return {
    message: `<p class="error" id="${errorId}">${escapeHtml(messages.join('; '))}</p>`,
    describedBy: ` aria-describedby="${errorId}"`,
    invalid: ` aria-describedby="${errorId}" aria-invalid="true"`,
  };
}

function errorSummary(errors: ErrorDetail[]): string {
  if (errors.length === 0) return '';
  const items = errors.map((e) => `<li>${e.field ? `${escapeHtml(e.field)}: ` : ''}${escapeHtml(e.message)}</li>`).join('');
  return `<div class="errors" role="alert"><p><strong>Please check the form:</strong></p><ul>${items}</ul></div>\n`;
}

/** The sign-up page; with `state`, the same form again with the reader's values and errors. */
export function renderSubscribePage(site: PageSite, categories: SubscribeCategory[], state: SubscribeFormState = {}): string {
  const errors = state.errors ?? [];
  const email = fieldError('email', errors);
  const name = fieldError('name', errors);
  const frequency = fieldError('frequency', errors);
  const categoryError = fieldError('categories', errors);
  const chosenFrequency = FREQUENCIES.some((f) => f.value === state.frequency) ? state.frequency : 'immediate';
  const chosenCategories = new Set(state.categories ?? []);

  const frequencies = FREQUENCIES.map(
    (f) =>
      `<div class="choice"><input type="radio" id="frequency-${f.value}" name="frequency" value="${f.value}"${f.value === chosenFrequency ? ' checked' : ''}>` +
      `<label for="frequency-${f.value}">${escapeHtml(f.label)}</label></div>`,
  ).join('\n');

  // Ids from the position, not the slug: a slug may hold characters an id should not.
  const categoryChoices = categories
    .map(
      (c, index) =>
        `<div class="choice"><input type="checkbox" id="category-${index}" name="categories" value="${escapeHtml(c.slug)}"${chosenCategories.has(c.slug) ? ' checked' : ''}>` +
        `<label for="category-${index}">${escapeHtml(c.name)}</label></div>`,
    )
    .join('\n');
  const categoryFieldset =
    categories.length === 0
      ? ''
      : `<fieldset${categoryError.describedBy}>
<legend>Only these topics (optional; none ticked means everything)</legend>
${categoryError.message}${categoryChoices}
</fieldset>
`;

  return layout(
    site,
    'Subscribe to the newsletter',
    `${errorSummary(errors)}<form method="post" action="/subscribe">
<label class="field" for="email">Email address</label>
${email.message}<input type="email" id="email" name="email" required autocomplete="email" value="${escapeHtml(state.email ?? '')}"${email.invalid}>
<label class="field" for="name">Name (optional)</label>
${name.message}<input type="text" id="name" name="name" autocomplete="name" value="${escapeHtml(state.name ?? '')}"${name.invalid}>
<fieldset${frequency.describedBy}>
<legend>How often</legend>
${frequency.message}${frequencies}
</fieldset>
${categoryFieldset}<p class="note">We will email you a link to confirm; nothing else is sent until you do. We use your address only to send what you choose here, and every email has a link to unsubscribe at once.</p>
<button type="submit">Subscribe</button>
</form>`,
  );
}

/** The message of the 202 answer, in JSON and on the page. */
export const SUBSCRIBE_ACCEPTED_MESSAGE =
  'Thank you. If this address can receive the newsletter, we have sent it an email with a link to confirm: please check your inbox.';

/** The answer to every accepted sign-up, whatever the address's history (no enumeration). */
export function renderCheckInboxPage(site: PageSite): string {
  return layout(
    site,
    'Check your inbox',
    `<p>${escapeHtml(SUBSCRIBE_ACCEPTED_MESSAGE)}</p>
<p class="note">Nothing arrived within a few minutes? Look in your spam folder, or <a href="/subscribe">try again</a>.</p>`,
  );
}

export function renderConfirmedPage(site: PageSite, result: 'confirmed' | 'already'): string {
  const text =
    result === 'confirmed'
      ? 'Thank you: your subscription is confirmed. The next email will come as you chose.'
      : 'Your subscription was already confirmed; there is nothing more to do.';
  return layout(site, 'Subscription confirmed', `<p>${escapeHtml(text)}</p>`);
}

/**
 * The confirmation page: shows the address and one button posting to `action`. The GET that
 * shows it confirms nothing: mail scanners follow every link in a message.
 */
export function renderConfirmPage(site: PageSite, email: string, action: string): string {
  return layout(
    site,
    'Confirm your subscription',
    `<p>Send the newsletter to <strong>${escapeHtml(email)}</strong>? One click and it is done.</p>
<form method="post" action="${escapeHtml(action)}">
<button type="submit">Confirm my subscription</button>
</form>`,
  );
}

/** A confirm or unsubscribe link that cannot be used: `expired` (410) or not valid (400). */
export function renderLinkProblemPage(site: PageSite, problem: 'invalid' | 'expired', purpose: 'confirm' | 'unsubscribe'): string {
  if (problem === 'expired') {
    return layout(
      site,
      'This link has expired',
      `<p>${purpose === 'confirm' ? 'Confirmation links are valid for 7 days, and this one is older.' : 'This link is no longer valid.'} Please <a href="/subscribe">subscribe again</a>; it takes a minute.</p>`,
    );
  }
  const advice =
    purpose === 'confirm'
      ? 'Please check that the whole link was copied from the email, or <a href="/subscribe">subscribe again</a>.'
      : 'Please check that the whole link was copied from the email; every newsletter email has a working unsubscribe link at its end.';
  return layout(site, 'This link is not valid', `<p>${advice}</p>`);
}

/** The unsubscribe page: shows the address and one button; the GET itself changes nothing. */
export function renderUnsubscribePage(site: PageSite, email: string, action: string): string {
  return layout(
    site,
    'Unsubscribe',
    `<p>Stop sending the newsletter to <strong>${escapeHtml(email)}</strong>?</p>
<form method="post" action="${escapeHtml(action)}">
<input type="hidden" name="List-Unsubscribe" value="One-Click">
<button type="submit">Unsubscribe</button>
</form>`,
  );
}

export function renderUnsubscribedPage(site: PageSite): string {
  return layout(
    site,
    'You are unsubscribed',
    `<p>You will receive no more newsletter emails. Changed your mind? <a href="/subscribe">Subscribe again</a>.</p>`,
  );
}

/** Too many sign-ups from one address. */
export function renderRateLimitedPage(site: PageSite, retryAfterSeconds: number | undefined): string {
  const wait =
    retryAfterSeconds && retryAfterSeconds > 0 ? `in ${retryAfterSeconds} second${retryAfterSeconds === 1 ? '' : 's'}` : 'in a minute';
  return layout(
    site,
    'Too many attempts',
    `<p>Too many sign-ups came from your network. Please <a href="/subscribe">try again</a> ${wait}.</p>`,
  );
}
