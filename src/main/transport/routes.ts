/**
 * The route table, built once from the contract plus the extra routes: the server dispatches with
 * it and the OpenAPI document is generated from it, so the two cannot drift apart.
 */
import {
  COMMAND_NAMES,
  EXTRA_ROUTES,
  contract,
  pathParams,
  type CommandName,
  type HttpMethod,
} from '../../shared/contract.js';

export type ExtraRouteName = keyof typeof EXTRA_ROUTES;

export type RouteTarget =
  | { readonly kind: 'command'; readonly name: CommandName }
  | { readonly kind: 'extra'; readonly name: ExtraRouteName };

export interface Route {
  readonly method: HttpMethod;
  /** Express-style: `/orchestrator/services/:name`. */
  readonly path: string;
  readonly params: readonly string[];
  readonly target: RouteTarget;
  /** False only for the liveness route. */
  readonly authenticated: boolean;
}

export const ROUTES: readonly Route[] = [
  ...COMMAND_NAMES.map((name): Route => ({
    method: contract[name].method,
    path: contract[name].path,
    params: pathParams(contract[name].path),
    target: { kind: 'command', name },
    authenticated: true,
  })),
  ...(Object.keys(EXTRA_ROUTES) as ExtraRouteName[]).map((name): Route => ({
    method: 'GET',
    path: EXTRA_ROUTES[name],
    params: [],
    target: { kind: 'extra', name },
    authenticated: name !== 'liveness',
  })),
];

export type RouteMatch =
  | {
      readonly kind: 'found';
      readonly route: Route;
      readonly params: Readonly<Record<string, string>>;
    }
  | { readonly kind: 'method_not_allowed'; readonly allow: readonly HttpMethod[] }
  | { readonly kind: 'bad_path'; readonly param: string }
  | { readonly kind: 'not_found' };

function splitPath(path: string): string[] {
  return path.split('/').slice(1);
}

const COMPILED = ROUTES.map((route) => ({ route, segments: splitPath(route.path) }));

/**
 * Matches a raw (still percent-encoded) path. Literal segments compare raw; parameter segments are
 * decoded, and a parameter that does not decode is reported as a bad path.
 */
export function matchRoute(method: string, rawPath: string): RouteMatch {
  const segments = splitPath(rawPath);
  const allow: HttpMethod[] = [];
  for (const { route, segments: pattern } of COMPILED) {
    if (pattern.length !== segments.length) continue;
    const params: Record<string, string> = {};
    let matched = true;
    let badParam: string | null = null;
    for (let i = 0; i < pattern.length && matched; i++) {
      const p = pattern[i]!;
      const s = segments[i]!;
      if (p.startsWith(':')) {
        if (s === '') matched = false;
        else {
          try {
            params[p.slice(1)] = decodeURIComponent(s);
          } catch {
            badParam = p.slice(1);
          }
        }
      } else if (p !== s) matched = false;
    }
    if (!matched) continue;
    if (route.method !== method) {
      if (!allow.includes(route.method)) allow.push(route.method);
      continue;
    }
    if (badParam !== null) return { kind: 'bad_path', param: badParam };
    return { kind: 'found', route, params };
  }
  return allow.length > 0 ? { kind: 'method_not_allowed', allow } : { kind: 'not_found' };
}

/** True for paths that belong to the API (token required), as opposed to the UI's static files. */
export function isApiPath(rawPath: string): boolean {
  return (
    rawPath === '/orchestrator' ||
    rawPath.startsWith('/orchestrator/') ||
    rawPath === EXTRA_ROUTES.metrics ||
    rawPath.startsWith(`${EXTRA_ROUTES.metrics}/`)
  );
}
