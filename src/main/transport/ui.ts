/**
 * The browser UI's static files, served without a token (they hold no data). `/?token=` trades
 * the token for an HttpOnly cookie and redirects to a URL without it.
 */
import fs from 'node:fs';
import type http from 'node:http';
import { VigilError } from '../../shared/errors.js';
import { sendMethodNotAllowed } from './rest.js';
import { tokenCookie } from './security.js';
import { contentTypeFor, resolveStaticFile } from './static.js';

export interface UiOptions {
  /** The built renderer; absent: every UI path is 404. */
  readonly staticDir?: string | undefined;
  readonly token: string;
  readonly tokenMatches: (presented: string | undefined) => boolean;
  /** The Content-Security-Policy of the UI's HTML pages. */
  readonly csp: string;
  /** The error for a wrong token. */
  readonly unauthorized: () => VigilError;
}

/** Answers one UI request; throws a VigilError for `sendError`. */
export async function serveUi(
  opts: UiOptions,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  rawPath: string,
  query: URLSearchParams,
): Promise<void> {
  const method = req.method ?? 'GET';
  if (method !== 'GET' && method !== 'HEAD') {
    sendMethodNotAllowed(res, method, rawPath, ['GET', 'HEAD']);
    return;
  }
  if ((rawPath === '/' || rawPath === '/index.html') && query.has('token')) {
    if (!opts.tokenMatches(query.get('token') ?? undefined)) throw opts.unauthorized();
    res.writeHead(302, {
      Location: '/',
      'Set-Cookie': tokenCookie(opts.token),
      'Content-Length': 0,
    });
    res.end();
    return;
  }
  const file = opts.staticDir ? await resolveStaticFile(opts.staticDir, rawPath) : null;
  if (file === null) throw new VigilError('NOT_FOUND', 'not found');
  const stat = await fs.promises.stat(file);
  const type = contentTypeFor(file);
  res.writeHead(200, {
    'Content-Type': type,
    'Content-Length': stat.size,
    ...(type.startsWith('text/html') ? { 'Content-Security-Policy': opts.csp } : {}),
  });
  if (method === 'HEAD') {
    res.end();
    return;
  }
  fs.createReadStream(file)
    .on('error', () => res.destroy())
    .pipe(res);
}
