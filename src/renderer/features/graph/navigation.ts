/** Arrow-key moves between nodes: the nearest node in that direction, by position on the canvas. */
import type { Point } from './layout.js';

export type ArrowDirection = 'left' | 'right' | 'up' | 'down';

export function arrowDirection(key: string): ArrowDirection | null {
  switch (key) {
    case 'ArrowLeft':
      return 'left';
    case 'ArrowRight':
      return 'right';
    case 'ArrowUp':
      return 'up';
    case 'ArrowDown':
      return 'down';
    default:
      return null;
  }
}

/**
 * The node to move to from `current` (or the first of `order` when nothing is selected). Among
 * the nodes ahead in that direction, the one with the smallest distance along it plus twice its
 * offset across it; null when there is none.
 */
export function neighbour(
  positions: ReadonlyMap<string, Point>,
  order: readonly string[],
  current: string | null,
  dir: ArrowDirection,
): string | null {
  const here = current !== null ? positions.get(current) : undefined;
  if (!here) return order.find((n) => positions.has(n)) ?? null;
  let best: string | null = null;
  let bestScore = Number.POSITIVE_INFINITY;
  for (const name of order) {
    if (name === current) continue;
    const p = positions.get(name);
    if (!p) continue;
    const dx = p.x - here.x;
    const dy = p.y - here.y;
    const [along, across] =
      dir === 'right'
        ? [dx, dy]
        : dir === 'left'
          ? [-dx, dy]
          : dir === 'down'
            ? [dy, dx]
            : [-dy, dx];
    if (along <= 0) continue;
    const score = along + 2 * Math.abs(across);
    if (score < bestScore) {
      bestScore = score;
      best = name;
    }
  }
  return best;
}
