/**
 * docs/ARCHITECTURE.md draws the runner's lifecycle and lists every move in a table. The table
 * must be the moves the lifecycle machine can make (found by walking it, `testing/explore.ts`),
 * and every path the diagram draws must be one of them, so that the document cannot drift from
 * the code.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import type { Lifecycle } from '../../../shared/model.js';
import { explore } from './testing/explore.js';

const moves = explore().moves;
const canMove = (from: Lifecycle, to: Lifecycle): boolean => moves.get(from)?.has(to) ?? false;

const LIFECYCLES: readonly Lifecycle[] = [
  'pending',
  'waiting',
  'starting',
  'running',
  'backoff',
  'stopping',
  'stopped',
  'completed',
  'failed',
  'quarantined',
];

const doc = fs.readFileSync(
  path.join(import.meta.dirname, '..', '..', '..', '..', 'docs', 'ARCHITECTURE.md'),
  'utf8',
);

function documentedTable(): Map<string, Set<string>> {
  const start = doc.indexOf('<!-- transitions:start -->');
  const end = doc.indexOf('<!-- transitions:end -->');
  expect(start).toBeGreaterThan(0);
  expect(end).toBeGreaterThan(start);
  const table = new Map<string, Set<string>>();
  for (const line of doc.slice(start, end).split('\n')) {
    const m = /^\|\s*(\w+)\s*\|\s*([\w, ]*?)\s*\|$/.exec(line.trim());
    if (!m || m[1] === 'from') continue;
    table.set(
      m[1]!,
      new Set(
        m[2]!
          .split(',')
          .map((x) => x.trim())
          .filter((x) => x !== ''),
      ),
    );
  }
  return table;
}

it('the documented transition table is the moves of the machine, move for move', () => {
  const table = documentedTable();
  expect([...table.keys()].sort()).toEqual([...LIFECYCLES].sort());
  for (const from of LIFECYCLES) {
    for (const to of LIFECYCLES) {
      expect(table.get(from)!.has(to), `${from} -> ${to}`).toBe(canMove(from, to));
    }
  }
});

it('every path the diagram draws is an allowed move', () => {
  const drawn: readonly [Lifecycle, Lifecycle][] = [
    ['pending', 'waiting'],
    ['waiting', 'starting'],
    ['starting', 'running'],
    ['running', 'stopping'],
    ['stopping', 'stopped'],
    ['starting', 'completed'],
    ['starting', 'backoff'],
    ['running', 'backoff'],
    ['stopping', 'backoff'],
    ['backoff', 'waiting'],
    ['stopped', 'waiting'],
    ['stopped', 'starting'],
    ['backoff', 'quarantined'],
    ['backoff', 'failed'],
    ['quarantined', 'stopped'],
    ['failed', 'stopped'],
  ];
  for (const [from, to] of drawn) expect(canMove(from, to), `${from} -> ${to}`).toBe(true);
});
