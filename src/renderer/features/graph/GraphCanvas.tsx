/**
 * The dependency graph. Node types are defined once at module scope; the layout is recomputed
 * only when the structure (services, phases, edges) changes, and node objects are reused when
 * their data did not change, so status updates re-render only the nodes they touch.
 */
import { useCallback, useEffect, useMemo, useRef } from 'react';
import {
  Background,
  BackgroundVariant,
  Controls,
  MiniMap,
  ReactFlow,
  ReactFlowProvider,
  useReactFlow,
  type Node,
  type NodeMouseHandler,
} from '@xyflow/react';
import { useDeps, useVigil } from '../../app/context.js';
import { TONE_COLOR } from './colors.js';
import {
  edgeHighlights,
  toFlowEdges,
  toFlowNodes,
  type ServiceFlowNode,
  type ServiceNodeData,
} from './flow.js';
import { NODE_HEIGHT, NODE_WIDTH, layoutGraph, structureKey, structureOf } from './layout.js';
import { ServiceNode } from './ServiceNode.js';

const nodeTypes = { service: ServiceNode };
const fitViewOptions = { padding: 0.15, maxZoom: 1.1 };
const proOptions = { hideAttribution: true };

function minimapColor(node: Node): string {
  const data = node.data as ServiceNodeData;
  return TONE_COLOR[data.tone] ?? TONE_COLOR.off;
}

function Canvas() {
  const { store } = useDeps();
  const services = useVigil((s) => s.services);
  const order = useVigil((s) => s.order);
  const selected = useVigil((s) => s.selected);
  const reveal = useVigil((s) => s.reveal);
  const theme = useVigil((s) => s.theme);
  const panelOpen = useVigil((s) => s.panelOpen);
  const flow = useReactFlow();

  const structure = structureOf(services, order);
  const key = structureKey(structure);
  // The key changes exactly when the structure does: layout only then.
  const stableStructure = useMemo(() => structure, [key]);
  const positions = useMemo(() => layoutGraph(stableStructure), [stableStructure]);

  useEffect(() => {
    store.getState().setPositions(positions);
  }, [positions, store]);

  const previous = useRef(new Map<string, ServiceFlowNode>());
  const nodes = useMemo(() => {
    const list = toFlowNodes(stableStructure, positions, services, selected, previous.current);
    previous.current = new Map(list.map((n) => [n.id, n]));
    return list;
  }, [stableStructure, positions, services, selected]);
  const edges = useMemo(
    () => toFlowEdges(stableStructure, edgeHighlights(stableStructure, services, selected)),
    [stableStructure, services, selected],
  );

  // A new structure, or the panel took (or gave back) room: fit the graph on screen again.
  useEffect(() => {
    const t = setTimeout(() => void flow.fitView({ ...fitViewOptions, duration: 150 }), 40);
    return () => clearTimeout(t);
  }, [positions, panelOpen, flow]);

  // Keyboard moves: keep the selected node on screen.
  useEffect(() => {
    if (reveal === 0) return;
    const name = store.getState().selected;
    const p = name !== null ? positions.get(name) : undefined;
    if (!p) return;
    const zoom = Math.max(flow.getZoom(), 0.6);
    void flow.setCenter(p.x + NODE_WIDTH / 2, p.y + NODE_HEIGHT / 2, { zoom, duration: 200 });
  }, [reveal, positions, flow, store]);

  const onNodeClick: NodeMouseHandler = useCallback(
    (_e, node) => {
      store.getState().openPanel(node.id);
    },
    [store],
  );
  const onPaneClick = useCallback(() => store.getState().select(null), [store]);

  return (
    <ReactFlow
      nodes={nodes}
      edges={edges}
      nodeTypes={nodeTypes}
      onNodeClick={onNodeClick}
      onPaneClick={onPaneClick}
      nodesDraggable={false}
      nodesConnectable={false}
      elementsSelectable={false}
      disableKeyboardA11y
      onlyRenderVisibleElements={nodes.length > 60}
      fitView
      fitViewOptions={fitViewOptions}
      minZoom={0.08}
      maxZoom={2}
      proOptions={proOptions}
      colorMode={theme}
    >
      <Background variant={BackgroundVariant.Dots} gap={20} size={1} />
      <MiniMap pannable zoomable nodeColor={minimapColor} nodeStrokeWidth={0} ariaLabel="Minimap" />
      <Controls showInteractive={false} />
    </ReactFlow>
  );
}

export function GraphCanvas() {
  return (
    <div className="vg-canvas" data-testid="graph">
      <ReactFlowProvider>
        <Canvas />
      </ReactFlowProvider>
    </div>
  );
}
