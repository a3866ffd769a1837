/** A service on the canvas: name, lifecycle, health and restarts, coloured by status. Memoised. */
import { memo } from 'react';
import { Handle, Position, type NodeProps } from '@xyflow/react';
import type { ServiceFlowNode } from './flow.js';

function ServiceNodeView({ data }: NodeProps<ServiceFlowNode>) {
  const classes = ['vg-node', `tone-${data.tone}`];
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
