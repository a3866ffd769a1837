/**
 * A service on the canvas: name, lifecycle, health and restarts, coloured by status; a replicated
 * service adds its ready/desired count and a strip with one cell per instance. Memoised.
 */
import { memo, type CSSProperties } from 'react';
import { Handle, Position, type NodeProps } from '@xyflow/react';
import { decodeStrip } from '../services/replicas.js';
import { statusTone } from './colors.js';
import type { ServiceFlowNode } from './flow.js';

/** Cells per row: one row up to this many, two rows above (a node has room for no more). */
const STRIP_ROW = 12;

/** One cell per instance, coloured by its status; "+N" for those beyond the cap. */
export function InstanceStrip(props: { name: string; strip: string }) {
  const { cells, more, moreStatus } = decodeStrip(props.name, props.strip);
  const columns = cells.length <= STRIP_ROW ? cells.length : Math.ceil(cells.length / 2);
  return (
    <div
      className={`vg-strip${cells.length > STRIP_ROW ? ' is-two-rows' : ''}`}
      data-testid={`strip-${props.name}`}
      aria-label={`${cells.length + more} instances`}
    >
      <div className="vg-strip-cells" style={{ '--cols': columns } as CSSProperties}>
        {cells.map((c) => (
          <span
            key={c.id}
            className={`vg-strip-cell tone-${statusTone(c.status)}${c.out ? ' is-out' : ''}`}
            title={`${c.id}: ${c.status}${c.out ? ' (taking no traffic)' : ''}`}
            data-status={c.status}
          />
        ))}
      </div>
      {more > 0 ? (
        <span
          className={`vg-strip-more tone-${moreStatus ? statusTone(moreStatus) : 'off'}`}
          title={`${more} more instances`}
        >
          +{more}
        </span>
      ) : null}
    </div>
  );
}

function ServiceNodeView({ data }: NodeProps<ServiceFlowNode>) {
  const classes = ['vg-node', `tone-${data.tone}`];
  if (data.strip) classes.push('is-replicated');
  if (data.selected) classes.push('is-selected');
  if (data.dimmed) classes.push('is-dimmed');
  return (
    <div
      className={classes.join(' ')}
      data-testid={`node-${data.name}`}
      data-status={data.status}
      data-lifecycle={data.lifecycle}
    >
      <Handle
        type="target"
        position={data.direction === 'LR' ? Position.Left : Position.Top}
        isConnectable={false}
      />
      <div className="vg-node-head">
        <span className="vg-dot" aria-hidden="true" />
        <span className="vg-node-name" title={data.name}>
          {data.name}
        </span>
        {data.instances ? (
          <span
            className={`vg-node-count tone-${data.instancesTone}`}
            title="instances ready / wanted"
            data-testid={`instances-${data.name}`}
          >
            {data.instances}
          </span>
        ) : null}
        {data.critical ? <span className="vg-tag">critical</span> : null}
        {/* One muted tag at most, so that the name keeps its room: "registered" says more. */}
        {data.registered ? (
          <span className="vg-tag vg-tag-registered" title="registered itself over the API">
            registered
          </span>
        ) : !data.required ? (
          <span className="vg-tag vg-tag-muted">optional</span>
        ) : null}
      </div>
      <div className="vg-node-row">
        <span className="vg-node-status" title="lifecycle">
          {data.lifecycle}
        </span>
        {data.showHealth ? (
          <span className={`vg-node-health tone-${data.healthTone}`} title="health">
            {data.health}
            {data.latencyMs !== null ? ` · ${data.latencyMs} ms` : ''}
          </span>
        ) : null}
      </div>
      {data.strip ? <InstanceStrip name={data.name} strip={data.strip} /> : null}
      <div className="vg-node-row vg-node-foot">
        {data.blockedBy ? (
          <span className="vg-node-blocked" title={`blocked by ${data.blockedBy}`}>
            blocked by {data.blockedBy}
          </span>
        ) : data.note ? (
          <span className="vg-node-note" title={data.note} data-testid={`node-note-${data.name}`}>
            {data.note}
          </span>
        ) : (
          <span className="vg-node-meta">
            phase {data.phase}
            {data.port !== null ? ` · :${data.port}` : ''}
          </span>
        )}
        <span className="vg-node-restarts" title={`${data.restarts} restarts`}>
          ↻ {data.restarts}
        </span>
      </div>
      <Handle
        type="source"
        position={data.direction === 'LR' ? Position.Right : Position.Bottom}
        isConnectable={false}
      />
    </div>
  );
}

export const ServiceNode = memo(ServiceNodeView);
