/**
 * The in-process transport: calls the supervisor directly, but through the same dispatch as the
 * wire (inputs validated by the contract, failures turned into VigilErrors), so tests through it
 * mean something.
 */
import { COMMAND_NAMES, type VigilApi, type VigilClient } from '../../shared/contract.js';
import type { Actor } from '../../shared/model.js';
import type { Logger } from '../core/logger.js';
import { dispatchCommand, unwrapDispatched } from './dispatch.js';

export function createInProcessClient(
  api: VigilApi,
  actor: Actor = 'api',
  logger?: Pick<Logger, 'error'>,
): VigilClient {
  const ctx = { actor };
  const client: Record<string, (input: unknown) => Promise<unknown>> = {};
  for (const name of COMMAND_NAMES) {
    client[name] = async (input: unknown) =>
      unwrapDispatched(await dispatchCommand(api, name, input, ctx, { logger }));
  }
  return client as unknown as VigilClient;
}
