/**
 * Child process of bench/newsletter.ts: the baseline. Raw pooled nodemailer sends the same
 * messages (the same rendered email, each with its own unsubscribe link and List-* headers)
 * to the same SMTP sink, keeping as many in flight as our workers do, with no queue, no
 * database and no ledger, DKIM-signed with our worker's key (BENCH_DKIM). Reports
 * { sent, ms, maxRssMb } over IPC.
 */
import { createPrivateKey } from 'node:crypto';
import nodemailer from 'nodemailer';
import { renderArticleEmail } from '../src/channels/newsletter/render.js';
import { DKIM_SIGNED_HEADERS } from '../src/channels/newsletter/send.js';
import { benchArticles } from './articles.js';

const smtpUrl = process.env.BENCH_SMTP_URL!;
const count = Number(process.env.BENCH_SUBSCRIBERS);
// Our workers keep 4 batches × 10 claimed rows in flight; the baseline gets as many.
const inFlight = Number(process.env.BENCH_IN_FLIGHT ?? 40);

const article = { ...benchArticles(1)[0]!, id: 'bench-newsletter' };
const site = {
  title: 'Bench Desk',
  url: 'https://news.example.com/',
  publicBaseUrl: 'https://news.example.com',
  postalAddress: '1 Main St',
  language: 'en',
};
const placeholder = 'SYNDICATEUNSUBSCRIBEURLPLACEHOLDER';
const rendered = renderArticleEmail(article, site, { unsubscribeUrl: placeholder });
// The key our worker signs with, as nodemailer's own `dkim` option: the PEM text, as documented,
// or with BENCH_DKIM_PARSED=1 parsed once into a KeyObject, as our mailer does.
const dkimKey = JSON.parse(process.env.BENCH_DKIM!) as { domain: string; selector: string; privateKey: string };
const dkim = {
  domainName: dkimKey.domain,
  keySelector: dkimKey.selector,
  privateKey: process.env.BENCH_DKIM_PARSED ? createPrivateKey(dkimKey.privateKey) : dkimKey.privateKey,
  headerFieldNames: DKIM_SIGNED_HEADERS,
};
const transport = nodemailer.createTransport({ url: smtpUrl, pool: true, maxConnections: 5, maxMessages: Infinity, dkim } as never);

let next = 0;
const started = performance.now();
async function lane(): Promise<void> {
  while (next < count) {
    const i = next++;
    const link = `https://news.example.com/unsubscribe/${i.toString(36).padStart(40, 'x')}`;
    await transport.sendMail({
      from: 'Bench Desk <desk@news.example.com>',
      to: `reader-${i}@example.org`,
      subject: rendered.subject,
      html: rendered.html.split(placeholder).join(link),
      text: rendered.text.split(placeholder).join(link),
      messageId: `<bench.${i}@news.example.com>`,
      headers: { 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click', 'List-Id': '<newsletter.news.example.com>' },
      list: { unsubscribe: link },
    });
  }
}
await Promise.all(Array.from({ length: inFlight }, lane));
const ms = performance.now() - started;
transport.close();
process.send?.({ sent: count, ms, maxRssMb: process.resourceUsage().maxRSS / 1024 }, () => process.exit(0));
