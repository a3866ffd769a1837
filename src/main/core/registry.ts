/**
 * External services that register themselves over the API and keep themselves alive with
 * heartbeats (not yet wired: the supervisor has no runner kind for processes it does not own).
 */
import { VigilError } from '../../shared/errors.js';
import type { OkResponse, RegisterResponse } from '../../shared/views.js';
import type { Supervisor } from './supervisor.js';

export interface Registry {
  register(input: {
    name: string;
    url: string;
    health_path?: string;
    heartbeat_interval?: number;
  }): RegisterResponse;
  heartbeat(name: string): OkResponse;
}

export function registry(_sup: Supervisor): Registry {
  const unavailable = (): never => {
    throw new VigilError('CONFLICT', 'service registration is not available in this version');
  };
  return { register: unavailable, heartbeat: unavailable };
}
