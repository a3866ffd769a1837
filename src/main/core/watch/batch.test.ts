import { describe, expect, it } from 'vitest';
import {
  KEEP_PATHS,
  LOOP_QUICK_MS,
  LOOP_RESTARTS,
  LOOP_WINDOW_MS,
  addChanges,
  changedFiles,
  describeFiles,
  dueAt,
  isLoop,
  maxWaitMs,
  remember,
  type TriggerRecord,
} from './batch.js';

describe('batching changes', () => {
  it('keeps the first few distinct paths and counts every distinct one', () => {
    let b = addChanges(null, ['a', 'b', 'a'], 0);
    for (let i = 0; i < 2_000; i++) b = addChanges(b, [`f${i}`, 'a'], i);
    expect(b.count).toBe(2_002);
    expect(b.paths).toHaveLength(KEEP_PATHS);
    expect(b.paths.slice(0, 2)).toEqual(['a', 'b']);
    expect(b.firstAtMono).toBe(0);
    expect(b.lastAtMono).toBe(1_999);
  });

  it('fires after a quiet debounce, or after the max wait of a change that never stops', () => {
    const quiet = addChanges(addChanges(null, ['a'], 0), ['b'], 100);
    expect(dueAt(quiet, 300)).toBe(400);
    let endless = addChanges(null, ['a'], 0);
    for (let t = 0; t < 20_000; t += 100) endless = addChanges(endless, [`f${t}`], t);
    expect(dueAt(endless, 300)).toBe(maxWaitMs(300));
    expect(maxWaitMs(300)).toBe(5_000);
    expect(maxWaitMs(2_000)).toBe(20_000);
  });

  it('describes the files of a batch', () => {
    expect(describeFiles({ paths: ['src/a.ts'], count: 1 })).toBe('src/a.ts');
    expect(describeFiles({ paths: ['a', 'b'], count: 2 })).toBe('a and b');
    const big = changedFiles(addChanges(null, ['a', 'b', 'c', 'd', 'e', 'f'], 0));
    expect(describeFiles(big)).toBe('a, b, c and 3 more');
  });
});

describe('restart loop detection', () => {
  const rec = (at: number, took = 100): TriggerRecord => ({
    firstChangeMono: at - 300,
    triggeredAtMono: at,
    restartedAtMono: at + took,
  });

  it('is a loop when each batch begins right after the previous watch restart', () => {
    // Each restart's service writes 50 ms after its start: the next batch begins then.
    const seq: TriggerRecord[] = [];
    let at = 1_000;
    let first = 0;
    for (let i = 0; i < LOOP_RESTARTS; i++) {
      seq.push({ firstChangeMono: first, triggeredAtMono: at, restartedAtMono: at + 100 });
      first = at + 150;
      at = first + 300;
    }
    expect(isLoop(seq, first, at)).toBe(true);
    // One restart fewer is not yet a loop.
    expect(isLoop(seq.slice(1), first, at)).toBe(false);
  });

  it('a change during the restart itself also counts as right after it', () => {
    const seq: TriggerRecord[] = [];
    let at = 1_000;
    let first = 0;
    for (let i = 0; i < LOOP_RESTARTS; i++) {
      seq.push({ firstChangeMono: first, triggeredAtMono: at, restartedAtMono: at + 500 });
      first = at + 10; // before the restart finished
      at = first + 600;
    }
    expect(isLoop(seq, first, at)).toBe(true);
  });

  it("a person editing at a person's pace is not a loop", () => {
    const seq: TriggerRecord[] = [];
    let at = 1_000;
    let first = 0;
    for (let i = 0; i < 10; i++) {
      seq.push({ firstChangeMono: first, triggeredAtMono: at, restartedAtMono: at + 100 });
      first = at + 100 + LOOP_QUICK_MS + 500;
      at = first + 300;
    }
    expect(isLoop(seq.slice(-LOOP_RESTARTS), first, at)).toBe(false);
  });

  it('old restarts fall out of the window', () => {
    const seq = [rec(0), rec(400), rec(800), rec(1_200)];
    expect(isLoop(seq, 1_350, 1_500 + LOOP_WINDOW_MS * 2)).toBe(false);
  });

  it('the history stays bounded', () => {
    let h: TriggerRecord[] = [];
    for (let i = 0; i < 100; i++) h = remember(h, rec(i * 1_000));
    expect(h.length).toBeLessThanOrEqual(LOOP_RESTARTS + 1);
  });
});
