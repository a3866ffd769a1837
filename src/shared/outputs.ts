/**
 * Output schemas of the contract's action commands (those of the read commands are in
 * outputs-views.ts): the OpenAPI document shows them as the real response schema and the contract
 * tests check the real API's answers against them. Each is checked at compile time against its
 * type in views.ts, both ways, so the two declarations cannot drift.
 */
import { z } from 'zod';
import { DISPLAY_STATUSES, LIFECYCLES } from './model.js';
import type { ActionResponse, OkResponse, RegisterResponse, WatchResponse } from './views.js';

/**
 * Every optional key made required, all the way down (arrays stay arrays, primitives stay as
 * they are): compared this way, a schema that leaves out an optional field no longer matches.
 */
type AllKeys<T> = { [K in keyof T]-?: AllKeys<T[K]> };

/** Compiles only when the schema's output is the view type exactly (both directions). */
export function matches<T>() {
  return <S extends z.ZodType>(
    schema: S &
      ([AllKeys<z.output<S>>] extends [AllKeys<T>]
        ? [AllKeys<T>] extends [AllKeys<z.output<S>>]
          ? unknown
          : never
        : never),
  ): S => schema;
}

export const okResponse = matches<OkResponse>()(
  z.object({ success: z.literal(true), message: z.string() }),
);

const count = z.number().int().min(0);

/** The fields of every action's answer (`replicaActionResponse` adds the instances). */
export const actionFields = {
  success: z.literal(true),
  service: z.string(),
  status: z.enum(DISPLAY_STATUSES),
  lifecycle: z.enum(LIFECYCLES),
  restart_count: count,
  last_restart: z.string().nullable(),
  message: z.string(),
};

export const actionResponse = matches<ActionResponse>()(z.object(actionFields));

export const registerResponse = matches<RegisterResponse>()(
  z.object({
    success: z.literal(true),
    service: z.string(),
    heartbeat_interval_ms: z.number().int().min(0),
    message: z.string(),
  }),
);

const strings = z.array(z.string()).readonly();

export const watchResponse = matches<WatchResponse>()(
  z.object({
    success: z.literal(true),
    service: z.string(),
    watch: z.object({
      enabled: z.boolean(),
      state: z.enum(['watching', 'off', 'paused', 'running_command', 'restarting']),
      paths: strings,
      ignore: strings,
      action: z.enum(['restart', 'run']),
      run: z.string().nullable(),
      debounce_ms: z.number().int().min(0),
      gitignore: z.boolean(),
      paused_reason: z.string().nullable(),
      last_change: z
        .object({
          at: z.string(),
          files: z.object({ paths: strings, count: z.number().int().min(0) }),
        })
        .nullable(),
      last_error: z.string().nullable(),
      restarts: z.number().int().min(0),
    }),
    message: z.string(),
  }),
);
