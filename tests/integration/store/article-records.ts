/**
 * Article records for store tests: valid domain values, built directly (the parser has its own
 * tests), with only what a test cares about overridden.
 */
import type { ArticleRecord } from '../../../src/domain/article.js';

export const T0 = new Date('2025-03-01T08:00:00.000Z');

/** A scheduled, revision-1 article with one category. */
export function articleRecord(id: string, overrides: Partial<ArticleRecord> = {}): ArticleRecord {
  return {
    id,
    url: `https://news.example/articles/${id}`,
    title: `Title of ${id}`,
    summary: `Summary of ${id}`,
    contentHtml: `<p>Body of ${id}</p>`,
    authors: [{ name: 'Ada Reporter', email: 'ada@news.example' }],
    categories: [{ name: 'World', slug: 'world' }],
    tags: ['news'],
    image: null,
    publishedAt: T0,
    channels: {},
    revision: 1,
    state: 'scheduled',
    contentHash: `hash-${id}`,
    createdAt: T0,
    updatedAt: T0,
    retractedAt: null,
    ...overrides,
  };
}

/** `base` plus `minutes`. */
export function minutesAfter(base: Date, minutes: number): Date {
  return new Date(base.getTime() + minutes * 60_000);
}
