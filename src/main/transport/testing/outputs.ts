/**
 * Checks a command's answer against the output schema the contract declares for it. The answer
 * must parse, and parsing must drop nothing: a key the schema (and so the type) does not declare
 * is reported too, since the OpenAPI document promises `additionalProperties: false`.
 */
import type { z } from 'zod';
import { responseKindOf, type CommandName } from '../../../shared/contract.js';

/**
 * JSON commands whose output schema is not declared yet: the OpenAPI document shows them as a
 * bare object. The tests fail when one of them gets a schema, so that it leaves this list.
 */
export const WITHOUT_OUTPUT_SCHEMA: ReadonlySet<CommandName> = new Set<CommandName>([]);

/** The declared output schema of a command, if it has one. */
export function outputSchemaOf(name: CommandName): z.ZodType | undefined {
  const kind = responseKindOf(name);
  return kind.kind === 'json' ? kind.schema : undefined;
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Keys of `sent` that parsing dropped, as paths (`services.0.replicas.extra`). */
function dropped(sent: unknown, parsed: unknown, at: string, out: string[]): void {
  if (Array.isArray(sent) && Array.isArray(parsed)) {
    sent.forEach((item, i) => dropped(item, parsed[i], `${at}${at ? '.' : ''}${i}`, out));
    return;
  }
  if (!isRecord(sent) || !isRecord(parsed)) return;
  for (const [key, value] of Object.entries(sent)) {
    const path = `${at}${at ? '.' : ''}${key}`;
    if (!Object.prototype.hasOwnProperty.call(parsed, key)) {
      if (value !== undefined) out.push(`${path}: not declared by the output schema`);
    } else dropped(value, parsed[key], path, out);
  }
}

/**
 * What is wrong with `out` as the answer of `name` (empty when it fits its declared schema, or
 * when the command declares none).
 */
export function outputProblems(name: CommandName, out: unknown): string[] {
  const schema = outputSchemaOf(name);
  if (!schema) return [];
  const fit = schema.safeParse(out);
  if (!fit.success) {
    return fit.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
  }
  const problems: string[] = [];
  dropped(out, fit.data, '', problems);
  return problems;
}
