import { describe, expect, it } from 'vitest';
import { chooseCoding, isNotModified, representationEtag } from '../../../src/http/conditional.js';

describe('chooseCoding', () => {
  it.each([
    [undefined, 'identity'],
    ['gzip, deflate, br', 'br'],
    ['gzip', 'gzip'],
    ['br;q=0, gzip', 'gzip'],
    ['*', 'br'],
    ['*;q=0', 'identity'],
    ['identity', 'identity'],
    ['GZIP;q=0.5', 'gzip'],
  ] as const)('%s → %s', (header, coding) => {
    expect(chooseCoding(header)).toBe(coding);
  });
});

describe('isNotModified', () => {
  const etag = '"abc123"';
  const lastModified = new Date('2026-03-02T08:00:00.500Z');

  it('matches the ETag of any coding of the same bytes', () => {
    expect(isNotModified({ 'if-none-match': '"abc123"' }, etag, lastModified)).toBe(true);
    expect(isNotModified({ 'if-none-match': representationEtag(etag, 'br') }, etag, lastModified)).toBe(true);
    expect(isNotModified({ 'if-none-match': 'W/"abc123-gzip"' }, etag, lastModified)).toBe(true);
    expect(isNotModified({ 'if-none-match': '"x", "abc123"' }, etag, lastModified)).toBe(true);
    expect(isNotModified({ 'if-none-match': '*' }, etag, lastModified)).toBe(true);
  });

  it('does not match another ETag, even with a matching date', () => {
    expect(isNotModified({ 'if-none-match': '"other"', 'if-modified-since': lastModified.toUTCString() }, etag, lastModified)).toBe(false);
  });

  it('uses If-Modified-Since at second precision', () => {
    expect(isNotModified({ 'if-modified-since': lastModified.toUTCString() }, etag, lastModified)).toBe(true);
    expect(isNotModified({ 'if-modified-since': new Date('2026-03-02T07:59:59Z').toUTCString() }, etag, lastModified)).toBe(false);
    expect(isNotModified({ 'if-modified-since': 'garbage' }, etag, lastModified)).toBe(false);
  });

  it('answers 200 without validators', () => {
    expect(isNotModified({}, etag, lastModified)).toBe(false);
  });
});
