/**
 * The REST client, generated from the contract: one method per command that fills the path
 * parameters, puts the rest in the query string (GET) or a JSON body (POST), and turns an error
 * envelope back into the VigilError the server threw. Works in browsers and Node (global fetch).
 */
import {
  COMMAND_NAMES,
  buildPath,
  contract,
  pathParams,
  responseKindOf,
  type CommandName,
  type OutputOf,
  type VigilClient,
} from '../contract.js';
import { VigilError, isErrorEnvelope, type ErrorCode } from '../errors.js';
import { errorFromEnvelope } from './validate.js';

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export interface HttpClientOptions {
  /** `http://127.0.0.1:9000`; empty string for same-origin requests from the browser UI. */
  readonly baseUrl: string;
  /** Sent as `Authorization: Bearer`; omit in the browser UI (the cookie carries it). */
  readonly token?: string;
  readonly fetch?: FetchLike;
  /** Recorded by the server as the author of manual actions. */
  readonly client?: 'cli' | 'ui';
}

const STATUS_CODES: Readonly<Record<number, ErrorCode>> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  503: 'NOT_RUNNING',
};

function queryString(input: Readonly<Record<string, unknown>>, skip: readonly string[]): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(input)) {
    if (skip.includes(key) || value === undefined) continue;
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      params.append(key, String(value));
    } else {
      throw new VigilError('BAD_REQUEST', `${key}: must be a string or a number`, { field: key });
    }
  }
  const s = params.toString();
  return s ? `?${s}` : '';
}

function withoutKeys(
  input: Readonly<Record<string, unknown>>,
  skip: readonly string[],
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) if (!skip.includes(key)) out[key] = value;
  return out;
}

function filenameFrom(disposition: string | null, fallback: string): string {
  const m = disposition ? /filename="?([^";]+)"?/i.exec(disposition) : null;
  return m?.[1] ?? fallback;
}

async function errorFromResponse(res: Response): Promise<VigilError> {
  const text = await res.text().catch(() => '');
  try {
    const parsed: unknown = JSON.parse(text);
    if (isErrorEnvelope(parsed)) return errorFromEnvelope(parsed);
  } catch {
    // not JSON: fall through to a status-based error
  }
  return new VigilError(
    STATUS_CODES[res.status] ?? 'INTERNAL',
    `HTTP ${res.status} ${res.statusText}`.trim(),
  );
}

export function createHttpClient(opts: HttpClientOptions): VigilClient {
  const base = opts.baseUrl.replace(/\/+$/, '');
  const doFetch: FetchLike = opts.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (opts.token) headers['Authorization'] = `Bearer ${opts.token}`;
  if (opts.client) headers['X-Vigil-Client'] = opts.client;

  async function call<K extends CommandName>(name: K, rawInput: unknown): Promise<OutputOf<K>> {
    const def = contract[name];
    const input = (rawInput ?? {}) as Readonly<Record<string, unknown>>;
    if (typeof input !== 'object' || Array.isArray(input)) {
      throw new VigilError('BAD_REQUEST', 'input must be an object');
    }
    const params = pathParams(def.path);
    for (const p of params) {
      const v = input[p];
      if (typeof v !== 'string' || v === '') {
        throw new VigilError('BAD_REQUEST', `${p}: required`, { field: p });
      }
    }
    let url = base + buildPath(def.path, input);
    const init: RequestInit = { method: def.method, headers: { ...headers } };
    if (def.method === 'GET') {
      url += queryString(input, params);
    } else if (def.method === 'DELETE') {
      // Everything a DELETE needs is in its path.
    } else {
      (init.headers as Record<string, string>)['Content-Type'] = 'application/json';
      init.body = JSON.stringify(withoutKeys(input, params));
    }
    let res: Response;
    try {
      res = await doFetch(url, init);
    } catch (err) {
      const why =
        err instanceof Error
          ? err.cause instanceof Error
            ? err.cause.message
            : err.message
          : String(err);
      throw new VigilError('NOT_RUNNING', `cannot reach Vigil at ${base || 'this page'}: ${why}`, {
        hint: 'is `vigil up` running?',
      });
    }
    if (!res.ok) throw await errorFromResponse(res);
    const kind = responseKindOf(name);
    switch (kind.kind) {
      case 'json':
        return (await res.json()) as OutputOf<K>;
      case 'attachment': {
        const contentType = res.headers.get('content-type') ?? 'text/plain';
        const mime = contentType.split(';')[0]!.trim().toLowerCase();
        const formats = Object.entries(kind.formats);
        const asked = input[kind.formatField];
        const format =
          (typeof asked === 'string' ? asked : undefined) ??
          formats.find(([, m]) => m === mime)?.[0] ??
          formats[0]![0];
        const doc = {
          format,
          content_type: contentType,
          filename: filenameFrom(
            res.headers.get('content-disposition'),
            `${kind.baseName}.${format}`,
          ),
          body: await res.text(),
        };
        return doc as unknown as OutputOf<K>;
      }
    }
  }

  const client: Record<string, (input: unknown) => Promise<unknown>> = {};
  for (const name of COMMAND_NAMES) client[name] = (input) => call(name, input);
  return client as unknown as VigilClient;
}
