/**
 * How far V8 lets the heap grow between full collections. After each mark-compact V8 sets the
 * next one's trigger at the live size times a growing factor, up to 4× when its heap limit is
 * large, which it is on any machine with a few GB (the limit is sized from the machine's
 * memory). A newsletter send keeps ~45 MB live but promotes a steady stream of short-lived
 * objects (messages and sockets in flight), so the old space filled to ~180 MB before each
 * collection: ~140 MB of garbage on top of the ~120 MB the libraries take, and a peak RSS of
 * 320–370 MB for 100,000 subscribers. 1.5× keeps the same live data with far less garbage,
 * for a full collection every few seconds of sending (~30 ms each).
 */
import { setFlagsFromString } from 'node:v8';

/** V8 `--heap-growing-percent`: the next full GC once the heap is this much above the last one's live size. */
export const HEAP_GROWING_PERCENT = 50;

/** Flags with which an operator has sized the heap already: theirs win. */
const OWN_HEAP_FLAGS = /^--(heap[-_]growing[-_]percent|max[-_]old[-_]space[-_]size|max[-_]heap[-_]size|optimize[-_]for[-_]size)\b/;

/**
 * Sets {@link HEAP_GROWING_PERCENT} for this process (V8 reads it at every full GC, so it
 * applies from the next one), unless node was started with a heap flag of its own, on its
 * command line or in NODE_OPTIONS. Returns whether it was set.
 */
export function limitHeapGrowth(nodeFlags: readonly string[] = [...process.execArgv, ...nodeOptionsFlags()]): boolean {
  if (nodeFlags.some((flag) => OWN_HEAP_FLAGS.test(flag))) return false;
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  return true;
}

function nodeOptionsFlags(): string[] {
  // eslint-disable-next-line no-restricted-properties -- node's own configuration, not Syndicate's (config/ has no business with it)
  return (process.env.NODE_OPTIONS ?? '').split(/\s+/).filter(Boolean);
}
