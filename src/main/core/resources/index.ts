export { CpuMeter, sampleTrees, sampleTreesFrom, systemTotals, type TreeSample } from './sample.js';
