export { Balancer, type DrainResult, type FailoverStatus } from './balancer.js';
export {
  decideScale,
  type ScaleDecision,
  type ScaleMetric,
  type ScalePolicy,
  type ScaleSample,
} from './autoscale.js';
export {
  INITIAL_FAILOVER_STATE,
  stepFailover,
  type FailoverDecision,
  type FailoverEvent,
  type FailoverInput,
  type FailoverPolicy,
  type FailoverRoute,
  type FailoverState,
} from './failover.js';
export { INSTANCE_HEADER } from './http-proxy.js';
export {
  allocatePorts,
  findPortClashes,
  parsePortRange,
  rangeSize,
  type PortClaim,
  type PortRange,
} from './ports.js';
export { BALANCE_STRATEGIES, pick, type BalanceStrategy, type PoolMember } from './strategies.js';
export type {
  BalanceMode,
  BalancerEvent,
  BalancerOptions,
  InstanceSpec,
  InstanceStats,
  PoolName,
} from './types.js';
