import type { ErrorRequestHandler, RequestHandler } from 'express';
import { z } from 'zod';
import { currentContext } from './context.js';
import type { Logger } from './logger.js';

export interface ErrorBody {
  error: { code: string; message: string; correlationId: string; details?: unknown };
}

/** The one error base: an HTTP status, a stable machine-readable code, and whether a retry may succeed. */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly options: { retriable?: boolean; details?: unknown; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = new.target.name;
  }
  get retriable(): boolean {
    return this.options.retriable ?? false;
  }
}

export class ValidationError extends AppError {
  constructor(message: string, details?: unknown) {
    super(400, 'validation_failed', message, { details });
  }
  /** Names every invalid field: `body.email: Invalid email address; query.limit: ...`. */
  static fromZod(error: z.ZodError, location?: string): ValidationError {
    const issues = error.issues.map((i) => ({
      field: [location, ...i.path.map(String)].filter(Boolean).join('.') || '(root)',
      reason: i.message,
    }));
    return new ValidationError(issues.map((i) => `${i.field}: ${i.reason}`).join('; '), issues);
  }
}
export class UnauthorizedError extends AppError {
  constructor(message = 'Authentication required', code = 'unauthorized') {
    super(401, code, message, { headers: { 'www-authenticate': 'Bearer' } });
  }
}
export class ForbiddenError extends AppError {
  constructor(message = 'Not allowed') {
    super(403, 'forbidden', message);
  }
}
export class NotFoundError extends AppError {
  constructor(message: string, code = 'not_found') {
    super(404, code, message);
  }
}
export class ConflictError extends AppError {
  constructor(message: string, code = 'conflict', details?: unknown) {
    super(409, code, message, { details });
  }
}
export class UnprocessableError extends AppError {
  constructor(message: string, code = 'unprocessable', details?: unknown) {
    super(422, code, message, { details });
  }
}
export class ServiceUnavailableError extends AppError {
  constructor(message: string, retryAfterSeconds = 5) {
    super(503, 'service_unavailable', message, { retriable: true, headers: { 'retry-after': String(retryAfterSeconds) } });
  }
}

export function errorBody(code: string, message: string, details?: unknown): ErrorBody {
  const body: ErrorBody = { error: { code, message, correlationId: currentContext()?.requestId ?? 'none' } };
  if (details !== undefined) body.error.details = details;
  return body;
}

/** Errors raised by body-parser carry `type` and `status`; map the ones a client causes to 4xx. */
function fromBodyParser(err: { type?: string; status?: number; limit?: number }): AppError | undefined {
  switch (err.type) {
    case 'entity.parse.failed':
      return new AppError(400, 'malformed_json', 'The request body is not valid JSON');
    case 'entity.too.large':
      return new AppError(413, 'payload_too_large', `The request body exceeds the limit of ${err.limit ?? '?'} bytes`);
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new AppError(415, 'unsupported_encoding', 'The request body encoding is not supported');
    case 'request.aborted':
      return new AppError(400, 'request_aborted', 'The request was aborted by the client');
    default:
      return undefined;
  }
}

/** Express's router throws a URIError with status 400 when a path parameter is not valid percent-encoding. */
function fromRouter(err: object): AppError | undefined {
  if (err instanceof URIError && (err as { status?: number }).status === 400) {
    return new AppError(400, 'malformed_uri', 'The request path is not valid percent-encoding');
  }
  return undefined;
}

/** Turns anything thrown into `{ error: { code, message, correlationId } }`; bad input never yields a 500. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, _req, res, next) => {
    if (res.headersSent) {
      next(err);
      return;
    }
    let appError: AppError;
    if (err instanceof AppError) appError = err;
    else if (err instanceof z.ZodError) appError = ValidationError.fromZod(err);
    else {
      const clientError = typeof err === 'object' && err !== null ? (fromBodyParser(err) ?? fromRouter(err)) : undefined;
      appError = clientError ?? new AppError(500, 'internal_error', 'Internal server error', { cause: err });
    }

    if (appError.status >= 500) logger.error('request failed', { err: err instanceof Error ? err : String(err) });
    else logger.info('request rejected', { status: appError.status, code: appError.code });

    for (const [name, value] of Object.entries(appError.options.headers ?? {})) res.setHeader(name, value);
    res.status(appError.status).json(errorBody(appError.code, appError.message, appError.options.details));
  };
}

/** The last route: a JSON 404 for anything unmatched. */
export function notFoundHandler(): RequestHandler {
  return (req, res) => {
    res.status(404).json(errorBody('route_not_found', `No route for ${req.method} ${req.path}`));
  };
}
