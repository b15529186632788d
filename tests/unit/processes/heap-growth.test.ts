/**
 * The heap's growth between full collections is limited unless node was given a heap flag of
 * its own. Real: V8's flags of this test process (the setting only makes collections earlier).
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { HEAP_GROWING_PERCENT, limitHeapGrowth } from '../../../src/processes/heap-growth.js';

describe('limitHeapGrowth', () => {
  it('names a flag this node knows (V8 would ignore an unknown one silently at run time)', () => {
    const run = spawnSync(process.execPath, [`--heap-growing-percent=${HEAP_GROWING_PERCENT}`, '-e', '0'], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  });

  it('sets the growing factor when node has no heap flag of its own', () => {
    expect(limitHeapGrowth([])).toBe(true);
    expect(limitHeapGrowth(['--trace-gc', '--enable-source-maps'])).toBe(true);
  });

  it("leaves an operator's own heap sizing alone", () => {
    expect(limitHeapGrowth(['--max-old-space-size=512'])).toBe(false);
    expect(limitHeapGrowth(['--max_old_space_size=512'])).toBe(false);
    expect(limitHeapGrowth(['--heap-growing-percent=100'])).toBe(false);
    expect(limitHeapGrowth(['--max-heap-size=400'])).toBe(false);
    expect(limitHeapGrowth(['--optimize-for-size'])).toBe(false);
  });
});
