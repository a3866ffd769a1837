/**
 * Errors are values with codes and a message a person can act on: what happened, where, and what to
 * do. The same envelope travels over every transport: `{"error": {"code", "message"}}`.
 */

export const ERROR_CODES = {
  // stack file
  STACK_NOT_FOUND: 400,
  STACK_TOO_LARGE: 400,
  STACK_YAML: 400,
  STACK_INVALID: 400,
  STACK_CYCLE: 400,
  STACK_UNKNOWN_DEPENDENCY: 400,
  // runtime
  PORT_IN_USE: 409,
  SPAWN_FAILED: 500,
  CRITICAL_SERVICE_FAILED: 500,
  DEPENDENCY_MISSING: 409,
  INVALID_CONFIGURATION: 400,
  ALREADY_RUNNING: 409,
  DATA_DIR_LOCKED: 409,
  // API
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  UNKNOWN_SERVICE: 404,
  CONFLICT: 409,
  QUARANTINED: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  NOT_RUNNING: 503,
  INTERNAL: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface ErrorEnvelope {
  readonly error: {
    readonly code: ErrorCode;
    readonly message: string;
    /** The input field or key path the error is about, if any. */
    readonly field?: string;
    /** Where in a file, if the error is about a file. */
    readonly location?: { readonly file: string; readonly line: number; readonly col: number };
    readonly hint?: string;
  };
}

export class VigilError extends Error {
  readonly code: ErrorCode;
  readonly field: string | undefined;
  readonly hint: string | undefined;
  readonly location: { file: string; line: number; col: number } | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    extra: {
      field?: string;
      hint?: string;
      location?: { file: string; line: number; col: number };
    } = {},
  ) {
    super(message);
    this.name = 'VigilError';
    this.code = code;
    this.field = extra.field;
    this.hint = extra.hint;
    this.location = extra.location;
  }

  get status(): number {
    return ERROR_CODES[this.code];
  }

  toEnvelope(): ErrorEnvelope {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.field !== undefined ? { field: this.field } : {}),
        ...(this.location !== undefined ? { location: this.location } : {}),
        ...(this.hint !== undefined ? { hint: this.hint } : {}),
      },
    };
  }

  static fromEnvelope(env: ErrorEnvelope): VigilError {
    const e = env.error;
    return new VigilError(e.code, e.message, {
      ...(e.field !== undefined ? { field: e.field } : {}),
      ...(e.hint !== undefined ? { hint: e.hint } : {}),
      ...(e.location !== undefined ? { location: e.location } : {}),
    });
  }
}

export function isErrorEnvelope(x: unknown): x is ErrorEnvelope {
  if (typeof x !== 'object' || x === null || !('error' in x)) return false;
  const e = (x as { error: unknown }).error;
  return (
    typeof e === 'object' &&
    e !== null &&
    typeof (e as { code?: unknown }).code === 'string' &&
    typeof (e as { message?: unknown }).message === 'string'
  );
}
