export { ReplicaSet, type ReplicaHost } from './replica-set.js';
export { aggregate, instanceReady, type InstanceFacts } from './aggregate.js';
export { instanceSpec, isReplicated, pickPorts } from './spec.js';
export { mergeHealthSeries } from './history.js';
