import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planInstagramSize } from '../../../src/media/instagram-frame.js';

describe('planInstagramSize', () => {
  it.each([
    [3000, 1000, 'crop', 1440, 754],
    [3000, 1000, 'pad', 1440, 754],
    [1000, 3000, 'crop', 1000, 1250],
    [1000, 3000, 'pad', 1440, 1800],
    [2000, 2000, 'crop', 1440, 1440],
    [100, 100, 'crop', 320, 320],
    [12_000, 300, 'crop', 573, 300],
    [12_000, 300, 'pad', 1440, 754],
    [1, 10_000, 'crop', 320, 400],
  ] as const)('plans %i × %i (%s) as %i × %i', (width, height, fit, outWidth, outHeight) => {
    expect(planInstagramSize(width, height, fit)).toEqual({ width: outWidth, height: outHeight });
  });

  it('always lands inside 320–1440 px wide and 4:5 … 1.91:1', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 65_535 }),
        fc.integer({ min: 1, max: 65_535 }),
        fc.constantFrom('crop' as const, 'pad' as const),
        (width, height, fit) => {
          const planned = planInstagramSize(width, height, fit);
          expect(Number.isInteger(planned.width) && Number.isInteger(planned.height)).toBe(true);
          expect(planned.width).toBeGreaterThanOrEqual(320);
          expect(planned.width).toBeLessThanOrEqual(1440);
          expect(planned.width / planned.height).toBeGreaterThanOrEqual(0.8);
          expect(planned.width / planned.height).toBeLessThanOrEqual(1.91);
        },
      ),
      { numRuns: 5000 },
    );
  });

  it('keeps the shape of images already inside the range', () => {
    fc.assert(
      fc.property(fc.integer({ min: 320, max: 1440 }), fc.double({ min: 0.8, max: 1.91, noNaN: true }), (width, ratio) => {
        const height = Math.round(width / ratio);
        fc.pre(width / height >= 0.8 && width / height <= 1.91);
        expect(planInstagramSize(width, height, 'crop')).toEqual({ width, height });
      }),
    );
  });
});
