/**
 * The article: what a publisher sends (SPEC §2), validated and normalised into what every
 * channel renders from. No I/O.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { checkHtmlLimits, firstWords, htmlToText, sanitizeContent } from './html.js';
import { cleanLine, cleanText, slugify, stripBidiControls } from './text.js';

export const ARTICLE_ID_PATTERN = /^[a-z0-9][a-z0-9._-]{0,127}$/;

export interface Author {
  name: string;
  email?: string;
  url?: string;
}

export interface Category {
  name: string;
  slug: string;
}

export interface ArticleImage {
  url: string;
  alt?: string;
  credit?: string;
}

/** Per-article channel choice: `false` skips the channel, `{ text }` overrides its text. */
export type ChannelChoice = false | { text?: string };

/** A validated, normalised article: the content every channel renders from. */
export interface Article {
  id: string;
  url: string;
  title: string;
  summary: string;
  contentHtml: string;
  authors: Author[];
  categories: Category[];
  tags: string[];
  image: ArticleImage | null;
  /** When the article goes (or went) out. */
  publishedAt: Date;
  channels: Record<string, ChannelChoice>;
}

/** Lifecycle of a stored article. */
export type ArticleState = 'scheduled' | 'published' | 'retracted';

/** A stored article with its bookkeeping. */
export interface ArticleRecord extends Article {
  revision: number;
  state: ArticleState;
  /** Hash of the publisher's content; an identical re-POST is recognised by it. */
  contentHash: string;
  createdAt: Date;
  updatedAt: Date;
  retractedAt: Date | null;
}

/** One problem with the input, named by its field path (`authors.0.email`). */
export interface FieldProblem {
  field: string;
  message: string;
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; problems: FieldProblem[] };

const httpUrl = z
  .string()
  .max(2048)
  .refine((value) => {
    try {
      const url = new URL(value);
      return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
    } catch {
      return false;
    }
  }, 'must be an absolute http(s) URL');

const line = (max: number) =>
  z
    .string()
    .transform(cleanLine)
    .pipe(z.string().min(1, 'must not be empty').max(max, `must be at most ${max} characters`));

const ISO_DATE =
  /^(?<year>\d{4})-(?<month>\d{2})-(?<day>\d{2})(T(?<hour>\d{2}):(?<minute>\d{2})(:(?<second>\d{2})(\.\d{1,9})?)?(Z|[+-](?<offsetHours>\d{2}):?(?<offsetMinutes>\d{2}))?)?$/;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isLeapYear(year: number): boolean {
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
}

/**
 * Whether an ISO 8601 date(-time) names a moment that exists. `Date.parse` rolls `2024-02-30`
 * over to 1 March and `24:00` to the next day, so each part is checked against the calendar
 * first (proleptic Gregorian, as `Date` counts). No leap seconds: `Date` cannot hold them.
 */
function isRealDate(value: string): boolean {
  const groups = ISO_DATE.exec(value)?.groups;
  if (!groups) return false;
  const part = (name: string) => Number(groups[name] ?? 0);
  const month = part('month');
  const monthDays = month === 2 && isLeapYear(part('year')) ? 29 : (DAYS_IN_MONTH[month - 1] ?? 0);
  return (
    part('day') >= 1 &&
    part('day') <= monthDays &&
    part('hour') <= 23 &&
    part('minute') <= 59 &&
    part('second') <= 59 &&
    part('offsetHours') <= 23 &&
    part('offsetMinutes') <= 59 &&
    !Number.isNaN(Date.parse(value))
  );
}

const isoDate = z
  .string()
  .regex(ISO_DATE, 'must be an ISO 8601 date')
  .refine(isRealDate, 'must be a valid date (a day that exists in its month, hours 00–23, minutes and seconds 00–59)');

const channelChoice = z.union([
  z.literal(false),
  z.literal(true),
  // Post texts: bidi overrides and isolates go, as from every single-line text (see stripBidiControls).
  z.strictObject({
    text: z
      .string()
      .max(10_000)
      .transform((text) => stripBidiControls(cleanText(text)))
      .optional(),
  }),
]);

const articleInput = z.strictObject({
  url: httpUrl,
  title: line(500),
  id: z.string().regex(ARTICLE_ID_PATTERN, 'must match [a-z0-9][a-z0-9._-]{0,127}').optional(),
  summary: z
    .string()
    .transform((value) => cleanLine(value))
    .pipe(z.string().max(1000, 'must be at most 1000 characters'))
    .optional(),
  // Checked for length, nesting depth and element count before anything parses it further:
  // sanitising a deeply nested body is super-linear (see html.ts).
  contentHtml: z
    .string()
    .superRefine((html, context) => {
      const problem = checkHtmlLimits(html);
      if (problem !== null) context.addIssue({ code: 'custom', message: problem });
    })
    .optional(),
  authors: z
    .array(
      z.strictObject({
        name: line(200),
        email: z.email('must be an email address').max(320).optional(),
        url: httpUrl.optional(),
      }),
    )
    .max(50)
    .optional(),
  categories: z.array(line(100)).max(50).optional(),
  tags: z.array(line(100)).max(100).optional(),
  image: z
    .strictObject({
      url: httpUrl,
      alt: z.string().transform(cleanLine).pipe(z.string().max(1000)).optional(),
      credit: z.string().transform(cleanLine).pipe(z.string().max(300)).optional(),
    })
    .optional(),
  publishedAt: isoDate.optional(),
  channels: z.record(z.string(), channelChoice).optional(),
});

export type ArticleInput = z.input<typeof articleInput>;

function describePath(path: readonly PropertyKey[]): string {
  return path.map(String).join('.') || '(body)';
}

function toProblems(error: z.ZodError): FieldProblem[] {
  return error.issues.flatMap((issue): FieldProblem[] => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({
        field: describePath([...issue.path, key]),
        message: 'is not a known field',
      }));
    }
    return [{ field: describePath(issue.path), message: issue.message }];
  });
}

/** Derives a stable id from the canonical URL: readable slug plus a hash that keeps it unique. */
export function deriveArticleId(url: string): string {
  const parsed = new URL(url);
  const pathSegment = parsed.pathname.split('/').filter(Boolean).pop();
  // "story.html" → "story"; a bare host keeps its dots ("example.com" → "example-com").
  const lastSegment = pathSegment ? safeDecode(pathSegment).replace(/\.[a-z0-9]{2,5}$/i, '') : parsed.hostname;
  const slug = lastSegment
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 100);
  const hash = createHash('sha256').update(parsed.href).digest('hex').slice(0, 10);
  return slug ? `${slug}-${hash}` : `a-${hash}`;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function uniqueBy<T>(items: T[], key: (item: T) => string): T[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    const k = key(item);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

export interface ParseArticleOptions {
  /** Channel names the `channels` object may mention. */
  channelNames: readonly string[];
  /** Used for `publishedAt` when the input has none. */
  now: Date;
}

/** The result of parsing: the article, plus whether `publishedAt` came from the publisher. */
export interface ParsedArticle {
  article: Article;
  publishedAtGiven: boolean;
  contentHash: string;
}

/**
 * Validates publisher input (SPEC §2) and normalises it: text cleaned, HTML sanitised,
 * summary and id derived, categories slugged, duplicates removed.
 */
export function parseArticle(input: unknown, options: ParseArticleOptions): ParseResult<ParsedArticle> {
  const result = articleInput.safeParse(input);
  if (!result.success) return { ok: false, problems: toProblems(result.error) };
  const data = result.data;

  const problems: FieldProblem[] = [];
  const channels: Record<string, ChannelChoice> = {};
  for (const [name, choice] of Object.entries(data.channels ?? {})) {
    if (!options.channelNames.includes(name)) {
      problems.push({ field: `channels.${name}`, message: `is not a channel (known: ${options.channelNames.join(', ')})` });
    } else if (choice !== true) {
      channels[name] = choice;
    }
  }
  if (problems.length > 0) return { ok: false, problems };

  const url = new URL(data.url).href;
  const contentHtml = data.contentHtml === undefined ? '' : sanitizeContent(data.contentHtml, url);
  const summary = data.summary || firstWords(htmlToText(contentHtml), 50, 1000);
  const categories = uniqueBy(
    (data.categories ?? []).map((name) => ({ name, slug: slugify(name) })),
    (category) => category.slug,
  );
  const image = data.image
    ? {
        url: new URL(data.image.url).href,
        ...(data.image.alt ? { alt: data.image.alt } : {}),
        ...(data.image.credit ? { credit: data.image.credit } : {}),
      }
    : null;
  const authors = (data.authors ?? []).map((author) => ({
    name: author.name,
    ...(author.email ? { email: author.email } : {}),
    ...(author.url ? { url: new URL(author.url).href } : {}),
  }));
  const tags = uniqueBy(data.tags ?? [], (tag) => tag.toLowerCase());
  const publishedAt = data.publishedAt === undefined ? options.now : new Date(data.publishedAt);

  const article: Article = {
    id: data.id ?? deriveArticleId(url),
    url,
    title: data.title,
    summary,
    contentHtml,
    authors,
    categories,
    tags,
    image,
    publishedAt,
    channels,
  };
  const contentHash = hashArticleContent(article, data.publishedAt !== undefined);
  return { ok: true, value: { article, publishedAtGiven: data.publishedAt !== undefined, contentHash } };
}

/**
 * Hash of what the publisher said. `publishedAt` counts only when given, so re-POSTing the
 * same JSON without a date is recognised as identical rather than as an update.
 */
export function hashArticleContent(article: Article, includePublishedAt: boolean): string {
  const { publishedAt, ...rest } = article;
  const material = JSON.stringify({ ...rest, publishedAt: includePublishedAt ? publishedAt.toISOString() : null });
  return createHash('sha256').update(material).digest('hex');
}
