/**
 * The dependency graph. Node types are defined once at module scope; the layout is recomputed
 * only when the structure (services, phases, edges) changes, and node objects are reused when
 * their data did not change, so status updates re-render only the nodes they touch.
 */
import { useCallback, useEffect, useMemo, useRef } from 'react';
import {
  Background,
  BackgroundVariant,
  ControlButton,
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
const minimapStyle = { width: 168, height: 112 };
/** Below this zoom node text is too small to read: center the selection instead of fitting. */
const MIN_READABLE_ZOOM = 0.8;

function minimapColor(node: Node): string {
  const data = node.data as ServiceNodeData;
  return TONE_COLOR[data.tone] ?? TONE_COLOR.off;
}

function Canvas(props: { host: React.RefObject<HTMLDivElement | null> }) {
  const { store } = useDeps();
  const services = useVigil((s) => s.services);
  const order = useVigil((s) => s.order);
  const selected = useVigil((s) => s.selected);
  const reveal = useVigil((s) => s.reveal);
  const theme = useVigil((s) => s.theme);
  const panelOpen = useVigil((s) => s.panelOpen);
  const direction = useVigil((s) => s.direction);
  const flow = useReactFlow();

  const structure = structureOf(services, order);
  const key = structureKey(structure);
  // The key changes exactly when the structure does: layout only then.
  const stableStructure = useMemo(() => structure, [key]);
  const positions = useMemo(
    () => layoutGraph(stableStructure, direction),
    [stableStructure, direction],
  );

  useEffect(() => {
    store.getState().setPositions(positions);
  }, [positions, store]);

  const previous = useRef(new Map<string, ServiceFlowNode>());
  const nodes = useMemo(() => {
    const list = toFlowNodes(
      stableStructure,
      positions,
      services,
      selected,
      previous.current,
      direction,
    );
    previous.current = new Map(list.map((n) => [n.id, n]));
    return list;
  }, [stableStructure, positions, services, selected, direction]);
  const edges = useMemo(
    () => toFlowEdges(stableStructure, edgeHighlights(stableStructure, services, selected)),
    [stableStructure, services, selected],
  );

  // A new structure: fit it on screen.
  useEffect(() => {
    const t = setTimeout(() => void flow.fitView(fitViewOptions), 30);
    return () => clearTimeout(t);
  }, [positions, flow]);

  // The panel took room: fit the graph into what is left when it stays readable there, else
  // bring the selected node into view. Nothing moves when the panel closes.
  useEffect(() => {
    if (!panelOpen) return;
    const t = setTimeout(() => {
      const box = props.host.current;
      if (!box || positions.size === 0) return;
      const xs = [...positions.values()];
      const width = Math.max(...xs.map((p) => p.x)) - Math.min(...xs.map((p) => p.x)) + NODE_WIDTH;
      const height =
        Math.max(...xs.map((p) => p.y)) - Math.min(...xs.map((p) => p.y)) + NODE_HEIGHT;
      const fitZoom = Math.min(
        box.clientWidth / (width * 1.15),
        box.clientHeight / (height * 1.15),
      );
      if (fitZoom >= MIN_READABLE_ZOOM) {
        void flow.fitView({ ...fitViewOptions, duration: 200 });
        return;
      }
      const name = store.getState().selected;
      const p = name !== null ? positions.get(name) : undefined;
      if (!p) return;
      const { x, y, zoom } = flow.getViewport();
      const left = p.x * zoom + x;
      const top = p.y * zoom + y;
      const inside =
        left >= 0 &&
        top >= 0 &&
        left + NODE_WIDTH * zoom <= box.clientWidth &&
        top + NODE_HEIGHT * zoom <= box.clientHeight;
      if (!inside) {
        void flow.setCenter(p.x + NODE_WIDTH / 2, p.y + NODE_HEIGHT / 2, { zoom, duration: 200 });
      }
    }, 60);
    return () => clearTimeout(t);
  }, [panelOpen, positions, flow, store, props.host]);

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
      <MiniMap
        style={minimapStyle}
        pannable
        zoomable
        nodeColor={minimapColor}
        nodeStrokeWidth={0}
        ariaLabel="Minimap"
      />
      <Controls showInteractive={false}>
        <ControlButton
          onClick={() => store.getState().setDirection(direction === 'LR' ? 'TB' : 'LR')}
          title={direction === 'LR' ? 'Lay out top to bottom' : 'Lay out left to right'}
          aria-label={direction === 'LR' ? 'Lay out top to bottom' : 'Lay out left to right'}
          data-testid="layout-direction"
        >
          {direction === 'LR' ? '↓' : '→'}
        </ControlButton>
      </Controls>
    </ReactFlow>
  );
}

export function GraphCanvas() {
  const host = useRef<HTMLDivElement>(null);
  return (
    <div className="vg-canvas" data-testid="graph" ref={host}>
      <ReactFlowProvider>
        <Canvas host={host} />
      </ReactFlowProvider>
    </div>
  );
}
