/**
 * Contract dispatch, written once for every transport (REST, Electron IPC, the in-process client,
 * the desktop bridge): validate the input, call the handler, and turn whatever it threw into a
 * VigilError. A failure that is not a VigilError is logged here with its stack and leaves as a
 * generic INTERNAL error, so no transport leaks a stack trace or forgets to log one.
 */
import {
  type CallContext,
  type CommandName,
  type OutputOf,
  type VigilApi,
} from '../../shared/contract.js';
import { VigilError } from '../../shared/errors.js';
import type { IpcResult } from '../../shared/client/bridge.js';
import { parseCommandInput, toVigilError } from '../../shared/client/validate.js';
import type { Logger } from '../core/logger.js';

/** The outcome of one call: its value, or the error to send back. */
export type Dispatched<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: VigilError };

export interface DispatchOptions {
  /** Where unexpected (non-VigilError) failures are logged, as `<context> failed`. */
  readonly logger?: Pick<Logger, 'error'> | undefined;
  /** Names the call in that log line; the command name by default. */
  readonly context?: string;
}

/** The error a transport sends for a thrown value; unexpected ones are logged first. */
export function failureOf(
  err: unknown,
  context: string,
  logger?: Pick<Logger, 'error'>,
): VigilError {
  if (!(err instanceof VigilError)) {
    logger?.error(`${context} failed`, {
      error: err instanceof Error ? (err.stack ?? err.message) : String(err),
    });
  }
  return toVigilError(err);
}

/**
 * Validate -> call -> error. `parse` throws BAD_REQUEST (a VigilError) for input that does not
 * fit; `call` runs only with parsed input. Never throws.
 */
export async function dispatch<I, O>(
  parse: (input: unknown) => I,
  call: (input: I) => Promise<O> | O,
  input: unknown,
  context: string,
  logger?: Pick<Logger, 'error'>,
): Promise<Dispatched<O>> {
  try {
    return { ok: true, value: await call(parse(input)) };
  } catch (err) {
    return { ok: false, error: failureOf(err, context, logger) };
  }
}

/** One contract command against an API: the contract's input schema, then the handler. */
export function dispatchCommand<K extends CommandName>(
  api: VigilApi,
  name: K,
  input: unknown,
  ctx: CallContext,
  opts: DispatchOptions = {},
): Promise<Dispatched<OutputOf<K>>> {
  const fn = api[name] as (i: unknown, c: CallContext) => Promise<OutputOf<K>>;
  return dispatch(
    (raw) => parseCommandInput(name, raw),
    (parsed) => fn.call(api, parsed, ctx),
    input,
    opts.context ?? name,
    opts.logger,
  );
}

/** The envelope an IPC reply carries (a thrown Error would lose its code crossing processes). */
export function toIpcResult<T>(d: Dispatched<T>): IpcResult<T> {
  return d.ok ? { ok: true, value: d.value } : { ok: false, error: d.error.toEnvelope().error };
}

/** The value, or the VigilError thrown (for callers in the same process). */
export function unwrapDispatched<T>(d: Dispatched<T>): T {
  if (d.ok) return d.value;
  throw d.error;
}
