/**
 * REST: one contract command per route. Reads and checks the request (JSON body or query string,
 * path parameters), runs it through the contract dispatch, and writes the answer: a JSON body, or
 * an attachment for commands whose response kind says so. Errors leave as envelopes.
 */
import type http from 'node:http';
import {
  MAX_BODY_BYTES,
  contract,
  responseKindOf,
  type CommandName,
  type VigilApi,
} from '../../shared/contract.js';
import { VigilError } from '../../shared/errors.js';
import type { Logger } from '../core/logger.js';
import { dispatchCommand, failureOf } from './dispatch.js';
import { DOCUMENT_CSP, actorFromHeader, isJsonContentType, jsonTooDeep } from './security.js';

export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';
/** After a 413, at most this much more of the body is read (so the client sees the answer). */
const DISCARD_AFTER_REFUSAL = 1024 * 1024;

export class BodyTooLarge extends VigilError {
  constructor() {
    super('PAYLOAD_TOO_LARGE', `request body is larger than ${MAX_BODY_BYTES} bytes`);
  }
}

/** Whether the request carries a body (a declared length above 0, or a chunked one). */
function hasBody(req: http.IncomingMessage): boolean {
  const length = Number(req.headers['content-length'] ?? 0);
  return length > 0 || req.headers['transfer-encoding'] !== undefined;
}

function readBody(req: http.IncomingMessage, max: number): Promise<string> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > max) return Promise.reject(new BodyTooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    // A body that grows past the limit without a declared length is read to its end (up to
    // DISCARD_AFTER_REFUSAL more) before the 413 goes out: closing a socket with unread input
    // resets it, and the reset can destroy the answer before the client reads it.
    let refused = false;
    const cleanup = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('aborted', onAborted);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > max + DISCARD_AFTER_REFUSAL) {
        cleanup();
        reject(new BodyTooLarge());
      } else if (size > max) {
        refused = true;
        chunks.length = 0;
      } else chunks.push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      if (refused) {
        reject(new BodyTooLarge());
        return;
      }
      try {
        resolve(new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks)));
      } catch {
        reject(new VigilError('BAD_REQUEST', 'request body is not valid UTF-8'));
      }
    };
    const onError = (err: Error): void => {
      cleanup();
      reject(err);
    };
    const onAborted = (): void => onError(new Error('request aborted'));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('aborted', onAborted);
  });
}

/** Reads (and drops) a bounded rest of a refused body, then cuts the connection. */
export function discardRest(req: http.IncomingMessage): void {
  let seen = 0;
  req.on('data', (chunk: Buffer) => {
    seen += chunk.length;
    if (seen > DISCARD_AFTER_REFUSAL) req.socket.destroy();
  });
  req.on('error', () => undefined);
  req.resume();
}

function parseJsonBody(text: string): Record<string, unknown> {
  if (text.trim() === '') return {};
  if (jsonTooDeep(text)) throw new VigilError('BAD_REQUEST', 'request body is nested too deeply');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new VigilError('BAD_REQUEST', `malformed JSON: ${(err as Error).message.slice(0, 200)}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new VigilError('BAD_REQUEST', 'request body must be a JSON object');
  }
  return value as Record<string, unknown>;
}

function queryInput(query: URLSearchParams): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  for (const key of new Set(query.keys())) {
    const all = query.getAll(key);
    if (all.length > 1) {
      throw new VigilError('BAD_REQUEST', `${key}: given more than once`, { field: key });
    }
    input[key] = all[0];
  }
  return input;
}

function safeFilename(name: string, fallback: string): string {
  const cleaned = name.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '');
  return cleaned === '' ? fallback : cleaned.slice(0, 200);
}

export function header(req: http.IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

export function sendJson(res: http.ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value ?? null);
  res.writeHead(status, {
    'Content-Type': JSON_CONTENT_TYPE,
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(body);
}

/** 405 with an Allow header; the envelope's code is BAD_REQUEST (the request is wrong). */
export function sendMethodNotAllowed(
  res: http.ServerResponse,
  method: string,
  rawPath: string,
  allow: readonly string[],
): void {
  res.setHeader('Allow', allow.join(', '));
  sendJson(res, 405, {
    error: {
      code: 'BAD_REQUEST',
      message: `${method} is not allowed on ${rawPath}; use ${allow.join(' or ')}`,
    },
  });
}

/** Sends an error envelope (an unexpected failure is logged and sent as INTERNAL). */
export function sendError(
  res: http.ServerResponse,
  err: unknown,
  context: string,
  logger: Logger,
): void {
  const error = failureOf(err, context, logger);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (error.code === 'UNAUTHORIZED') res.setHeader('WWW-Authenticate', 'Bearer');
  sendJson(res, error.status, error.toEnvelope());
}

/** What an attachment command returns (the report is one). */
interface AttachmentOutput {
  readonly content_type: string;
  readonly filename: string;
  readonly body: string;
}

/** Runs one command; throws (a VigilError or not) for `sendError`. */
export async function runCommand(
  api: VigilApi,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  name: CommandName,
  params: Readonly<Record<string, string>>,
  query: URLSearchParams,
  logger: Logger,
): Promise<void> {
  const def = contract[name];
  let input: Record<string, unknown>;
  if (def.method === 'GET') {
    input = queryInput(query);
  } else if (def.method === 'DELETE' && !hasBody(req)) {
    // A DELETE names its target in the path; a body, when sent, must still be JSON.
    input = {};
  } else {
    if (!isJsonContentType(req.headers['content-type'])) {
      throw new VigilError('UNSUPPORTED_MEDIA_TYPE', 'request bodies must be application/json');
    }
    input = parseJsonBody(await readBody(req, MAX_BODY_BYTES));
  }
  for (const [key, value] of Object.entries(params)) {
    if (Object.prototype.hasOwnProperty.call(input, key) && input[key] !== value) {
      throw new VigilError('BAD_REQUEST', `${key}: differs from the path`, { field: key });
    }
    input[key] = value;
  }
  const actor = actorFromHeader(header(req, 'x-vigil-client'));
  const result = await dispatchCommand(api, name, input, { actor }, { logger });
  if (!result.ok) throw result.error;
  const kind = responseKindOf(name);
  switch (kind.kind) {
    case 'json':
      sendJson(res, 200, result.value);
      return;
    case 'attachment': {
      const doc = result.value as unknown as AttachmentOutput;
      const isHtml = doc.content_type.toLowerCase().startsWith('text/html');
      res.writeHead(200, {
        'Content-Type': doc.content_type,
        'Content-Disposition': `attachment; filename="${safeFilename(doc.filename, kind.baseName)}"`,
        'Content-Length': Buffer.byteLength(doc.body),
        ...(isHtml ? { 'Content-Security-Policy': DOCUMENT_CSP } : {}),
      });
      res.end(doc.body);
      return;
    }
  }
}
