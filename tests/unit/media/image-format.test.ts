import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { classifyContentType, sniffImageFormat } from '../../../src/media/image-format.js';
import { HTML, SVG, randomData } from '../../fixtures/images/make-images.js';

const pixel = () => sharp({ create: { width: 8, height: 8, channels: 3, background: '#123456' } });

describe('sniffImageFormat', () => {
  it.each([
    ['jpeg', () => pixel().jpeg().toBuffer()],
    ['png', () => pixel().png().toBuffer()],
    ['gif', () => pixel().gif().toBuffer()],
    ['webp', () => pixel().webp().toBuffer()],
    ['avif', () => pixel().avif().toBuffer()],
    ['tiff', () => pixel().tiff().toBuffer()],
  ] as const)('recognises %s by its bytes', async (format, make) => {
    expect(sniffImageFormat(await make())).toBe(format);
  });

  it('recognises SVG, even after a BOM, whitespace and comments', () => {
    expect(sniffImageFormat(SVG)).toBe('svg');
    expect(sniffImageFormat(Buffer.from('\uFEFF  <!-- drawn by hand --><svg xmlns="http://www.w3.org/2000/svg"/>'))).toBe('svg');
  });

  it('does not take HTML, an XML error page, random bytes or nothing for an image', () => {
    expect(sniffImageFormat(HTML)).toBe('unknown');
    expect(sniffImageFormat(Buffer.from('<?xml version="1.0"?><Error><Code>AccessDenied</Code></Error>'))).toBe('unknown');
    expect(sniffImageFormat(randomData())).toBe('unknown');
    expect(sniffImageFormat(Buffer.alloc(0))).toBe('unknown');
    expect(sniffImageFormat(Buffer.from([0xff, 0xd8]))).toBe('unknown');
  });
});

describe('classifyContentType', () => {
  it.each([
    ['image/jpeg', 'jpeg'],
    ['IMAGE/JPEG; charset=binary', 'jpeg'],
    ['image/jpg', 'jpeg'],
    ['image/png', 'png'],
    ['image/webp', 'webp'],
    ['image/avif', 'avif'],
    ['image/svg+xml', 'other-image'],
    ['image/bmp', 'other-image'],
    ['text/html; charset=utf-8', 'not-image'],
    ['application/octet-stream', 'not-image'],
    [undefined, 'not-image'],
  ] as const)('classifies %s as %s', (header, expected) => {
    expect(classifyContentType(header)).toBe(expected);
  });
});
