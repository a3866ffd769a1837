import { describe, expect, it } from 'vitest';
import { renderToStaticMarkup } from 'react-dom/server';
import { replicas, view } from '../../testing/support.js';
import { nodeData, toFlowNodes } from './flow.js';
import { structureOf } from './layout.js';
import { InstanceStrip } from './ServiceNode.js';

const api = (n: number, sick = {}) => ({ ...view('api'), replicas: replicas('api', n, { sick }) });

const cells = (html: string) => html.match(/class="vg-strip-cell(?: [^"]*)?"/g) ?? [];

function strip(n: number, sick = {}): string {
  const d = nodeData(api(n, sick), false, false);
  return renderToStaticMarkup(<InstanceStrip name={d.name} strip={d.strip} />);
}

describe('a replicated service on the graph', () => {
  it('says how many instances are ready of how many, coloured by how short it falls', () => {
    expect(nodeData(api(3), false, false)).toMatchObject({ instances: '3/3', instancesTone: 'ok' });
    expect(nodeData(api(3, { 1: { status: 'unhealthy' } }), false, false)).toMatchObject({
      instances: '2/3',
      instancesTone: 'warn',
    });
    const none = api(2, { 0: { status: 'stopped' }, 1: { status: 'unhealthy' } });
    expect(nodeData(none, false, false)).toMatchObject({ instances: '0/2', instancesTone: 'bad' });
    expect(nodeData(view('db'), false, false)).toMatchObject({ instances: '', strip: '' });
  });

  it('draws one cell per instance in its status colour: 3 on one row', () => {
    const html = strip(3, { 1: { status: 'unhealthy' }, 2: { draining: true } });
    expect(cells(html)).toEqual([
      'class="vg-strip-cell tone-ok"',
      'class="vg-strip-cell tone-bad"',
      'class="vg-strip-cell tone-ok is-out"',
    ]);
    expect(html).toContain('title="api#1: unhealthy"');
    expect(html).not.toContain('is-two-rows');
    expect(html).toContain('--cols:3');
    expect(html).not.toContain('vg-strip-more');
  });

  it('20 instances: 20 cells on two rows of 10', () => {
    const html = strip(20, { 19: { status: 'degraded' } });
    expect(cells(html)).toHaveLength(20);
    expect(cells(html)[19]).toBe('class="vg-strip-cell tone-warn"');
    expect(html).toContain('is-two-rows');
    expect(html).toContain('--cols:10');
    expect(html).toContain('aria-label="20 instances"');
  });

  it('beyond 24: 24 cells and "+N" in the colour of the worst one it hides', () => {
    const html = strip(40, { 30: { status: 'unhealthy' } });
    expect(cells(html)).toHaveLength(24);
    expect(html).toMatch(/class="vg-strip-more tone-bad"[^>]*>\+(?:<!-- -->)?16</);
    expect(html).toContain('aria-label="40 instances"');
  });

  it('a node is rebuilt when an instance changes, and kept when nothing did', () => {
    const services = { api: api(3) };
    const g = structureOf(services, ['api']);
    const pos = new Map([['api', { x: 0, y: 0 }]]);
    const first = toFlowNodes(g, pos, services, null);
    const prev = new Map(first.map((n) => [n.id, n]));
    expect(toFlowNodes(g, pos, { api: api(3) }, null, prev)[0]).toBe(first[0]);
    const changed = toFlowNodes(g, pos, { api: api(3, { 2: { status: 'timeout' } }) }, null, prev);
    expect(changed[0]).not.toBe(first[0]);
    expect(changed[0]!.data.strip).toBe('healthy healthy timeout');
  });
});
