/**
 * The in-process transport: calls the supervisor directly, but validates inputs with the contract
 * and turns failures into VigilErrors exactly as the wire does, so tests through it mean something.
 */
import { COMMAND_NAMES, type VigilApi, type VigilClient } from '../contract.js';
import type { Actor } from '../model.js';
import { parseCommandInput, toVigilError } from './validate.js';

export function createInProcessClient(api: VigilApi, actor: Actor = 'api'): VigilClient {
  const ctx = { actor };
  const client: Record<string, (input: unknown) => Promise<unknown>> = {};
  for (const name of COMMAND_NAMES) {
    client[name] = async (input: unknown) => {
      const parsed = parseCommandInput(name, input);
      const fn = api[name] as (i: unknown, c: typeof ctx) => Promise<unknown>;
      try {
        return await fn.call(api, parsed, ctx);
      } catch (err) {
        throw toVigilError(err);
      }
    };
  }
  return client as unknown as VigilClient;
}
