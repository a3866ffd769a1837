export {
  buildGraph,
  computePhases,
  findCycle,
  findCycles,
  transitiveDependencies,
  transitiveDependents,
  type GraphEdge,
  type GraphInput,
  type GraphNode,
  type StackGraph,
} from './graph.js';
export { GRAPH_FORMATS, renderGraph, type GraphFormat } from './render.js';
