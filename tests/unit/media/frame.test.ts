import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type FrameFit, type ImageFrame, planFrameSize } from '../../../src/media/frame.js';

// A feed's frame: 4:5 to 1.91:1, 320–1440 px wide (Instagram's numbers).
const FEED: ImageFrame = { minAspect: 0.8, maxAspect: 1.91, minWidth: 320, maxWidth: 1440 };
const feed = (fit: FrameFit): ImageFrame => ({ ...FEED, fit });

describe('planFrameSize', () => {
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
    expect(planFrameSize(width, height, feed(fit))).toEqual({ width: outWidth, height: outHeight });
  });

  it('crops when the frame does not say how to fit', () => {
    expect(planFrameSize(1000, 3000, FEED)).toEqual(planFrameSize(1000, 3000, feed('crop')));
  });

  it('always lands inside 320–1440 px wide and 4:5 … 1.91:1', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 65_535 }),
        fc.integer({ min: 1, max: 65_535 }),
        fc.constantFrom('crop' as const, 'pad' as const),
        (width, height, fit) => {
          const planned = planFrameSize(width, height, feed(fit));
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
        expect(planFrameSize(width, height, feed('crop'))).toEqual({ width, height });
      }),
    );
  });

  it('shortens a tall frame so that its height stays within a longest side', () => {
    expect(planFrameSize(1000, 3000, feed('pad'), 1000)).toEqual({ width: 800, height: 1000 });
    expect(planFrameSize(3000, 1000, feed('crop'), 1000)).toEqual({ width: 1000, height: 524 });
  });

  it('never passes a longest side, yet stays inside the frame', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 65_535 }),
        fc.integer({ min: 1, max: 65_535 }),
        fc.constantFrom('crop' as const, 'pad' as const),
        fc.integer({ min: 400, max: 3000 }),
        (width, height, fit, longest) => {
          const planned = planFrameSize(width, height, feed(fit), longest);
          expect(Math.max(planned.width, planned.height)).toBeLessThanOrEqual(longest);
          expect(planned.width).toBeGreaterThanOrEqual(320);
          expect(planned.width / planned.height).toBeGreaterThanOrEqual(0.8);
          expect(planned.width / planned.height).toBeLessThanOrEqual(1.91);
        },
      ),
      { numRuns: 5000 },
    );
  });
});
