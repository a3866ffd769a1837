/**
 * Input validation shared by every transport: the same zod schema from the contract, the same
 * BAD_REQUEST error naming the first bad field, whichever way a command arrives.
 */
import type { z } from 'zod';
import { contract, type CommandName, type ParsedInputOf } from '../contract.js';
import { ERROR_CODES, VigilError, isErrorEnvelope, type ErrorEnvelope } from '../errors.js';

/** The dotted key path of a zod issue (`capabilities.3`), or the first unknown key. */
function issueField(issue: z.core.$ZodIssue): string | undefined {
  if (issue.code === 'unrecognized_keys' && issue.keys.length > 0) {
    return [...issue.path.map(String), issue.keys[0]!].join('.');
  }
  return issue.path.length > 0 ? issue.path.map(String).join('.') : undefined;
}

/** A BAD_REQUEST error built from the first issue zod reports. */
export function badRequestFromZod(error: z.ZodError): VigilError {
  const issue = error.issues[0];
  if (!issue) return new VigilError('BAD_REQUEST', 'invalid input');
  const field = issueField(issue);
  const message = field !== undefined ? `${field}: ${issue.message}` : issue.message;
  return new VigilError('BAD_REQUEST', message, field !== undefined ? { field } : {});
}

/** Validates a command's input; throws BAD_REQUEST (with the field) when it does not fit. */
export function parseCommandInput<K extends CommandName>(
  name: K,
  input: unknown,
): ParsedInputOf<K> {
  const schema = contract[name].input as z.ZodType;
  const result = schema.safeParse(input ?? {});
  if (!result.success) throw badRequestFromZod(result.error);
  return result.data as ParsedInputOf<K>;
}

/** True for a command name of the contract (own key, not an inherited one like `toString`). */
export function isCommandName(name: string): name is CommandName {
  return Object.prototype.hasOwnProperty.call(contract, name);
}

/**
 * Any thrown value as a VigilError. Errors that are not VigilErrors become INTERNAL with a generic
 * message: their text and stack stay on the side that threw them.
 */
export function toVigilError(err: unknown): VigilError {
  if (err instanceof VigilError) return err;
  if (isErrorEnvelope(err)) return VigilError.fromEnvelope(err);
  return new VigilError('INTERNAL', 'internal error');
}

/** An envelope that came over a wire, checked enough to be rebuilt as a VigilError. */
export function errorFromEnvelope(env: ErrorEnvelope): VigilError {
  const known = Object.prototype.hasOwnProperty.call(ERROR_CODES, env.error.code);
  return known
    ? VigilError.fromEnvelope(env)
    : new VigilError('INTERNAL', `${env.error.code}: ${env.error.message}`);
}
