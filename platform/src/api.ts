import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import type { Request, Response, Router } from 'express';
import { z } from 'zod';
import { currentContext } from './context.js';
import { AppError, ForbiddenError, UnauthorizedError, ValidationError } from './errors.js';
import { sendJson } from './json-response.js';

/** What a route with `auth` needs to know about the caller: who, and in which role. */
export interface Claims {
  sub: string;
  role: string;
}

/** Verifies an Authorization header; throws UnauthorizedError (with a code saying what is wrong) when it does not verify. */
export interface TokenVerifier<C extends Claims = Claims> {
  verify(authorization: string | undefined): C;
}

/**
 * One declaration per route: the same zod schemas validate the request and describe it in the
 * OpenAPI document, so the document cannot drift from what the code accepts.
 */
export interface RouteDefinition<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType, H extends z.ZodObject = z.ZodObject> {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** Express-style path: `/api/products/:id`. */
  path: string;
  summary: string;
  tags: string[];
  /** `user`: any valid access token; `admin`: a token with role admin. */
  auth?: 'user' | 'admin';
  params?: P;
  query?: Q;
  body?: B;
  /** Request headers the route reads (e.g. Idempotency-Key), by name; validated like the rest. */
  headers?: H;
  responses: Record<number, { description: string; schema?: z.ZodType }>;
}

export interface HandlerInput<P, Q, B, H = unknown, C extends Claims = Claims> {
  params: P;
  query: Q;
  body: B;
  /** The declared headers, validated (absent ones are undefined). */
  headers: H;
  /** Present when the route declares `auth`. */
  user: C;
  req: Request;
  res: Response;
}

export interface HandlerResult {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export const ErrorSchema = z
  .object({ error: z.object({ code: z.string(), message: z.string(), correlationId: z.string(), details: z.unknown().optional() }) })
  .meta({ id: 'Error' });

/**
 * Declares routes on Express routers: each declaration validates the request with its zod schemas
 * and documents the route in the service's OpenAPI 3.1 document. Without a token verifier, a route
 * that declares `auth` answers 401.
 */
export class Api<C extends Claims = Claims> {
  readonly registry = new OpenAPIRegistry();

  constructor(private readonly tokens?: TokenVerifier<C>) {
    this.registry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
  }

  /** Registers the route on `router` and in the OpenAPI document. */
  route<P extends z.ZodType = z.ZodObject, Q extends z.ZodType = z.ZodObject, B extends z.ZodType = z.ZodUnknown, H extends z.ZodObject = z.ZodObject>(
    router: Router,
    def: RouteDefinition<P, Q, B, H>,
    handler: (input: HandlerInput<z.output<P>, z.output<Q>, z.output<B>, z.output<H>, C>) => Promise<HandlerResult> | HandlerResult,
  ): void {
    this.document(def);
    const requiredRole = def.auth === 'admin' ? 'admin' : undefined;
    router[def.method](def.path, async (req, res) => {
      const user = def.auth ? this.verify(req.headers.authorization) : (undefined as unknown as C);
      const context = def.auth ? currentContext() : undefined;
      if (context) context.userId = user.sub; // log lines of this request carry the caller
      if (requiredRole && user.role !== requiredRole) throw new ForbiddenError(`This operation needs the ${requiredRole} role`);
      const params = parse(def.params, req.params, 'params');
      const query = def.query ? parse(def.query, singleValued(req.query), 'query') : undefined;
      // express.json() leaves req.body undefined for another content type: say so, rather than report every field missing.
      if (def.body && req.body === undefined && hasBody(req)) throw new AppError(415, 'unsupported_media_type', 'The request body must be JSON (Content-Type: application/json)');
      const body = def.body ? parse(def.body, req.body ?? {}, 'body') : undefined;
      const headers = def.headers ? parse(def.headers, Object.fromEntries(Object.keys(def.headers.shape).map((name) => [name, req.get(name)])), 'headers') : undefined;
      const result = await handler({ params, query, body, headers, user, req, res } as HandlerInput<z.output<P>, z.output<Q>, z.output<B>, z.output<H>, C>);
      if (result.headers) for (const [name, value] of Object.entries(result.headers)) res.setHeader(name, value);
      if (result.body === undefined) res.status(result.status).end();
      else sendJson(req, res, result.status, result.body);
    });
  }

  private verify(authorization: string | undefined): C {
    if (!this.tokens) throw new UnauthorizedError('This service accepts no access tokens', 'token_invalid');
    return this.tokens.verify(authorization);
  }

  /** The OpenAPI 3.1 document of every registered route. */
  openApiDocument(info: { title: string; version: string; description?: string }): object {
    return new OpenApiGeneratorV31(this.registry.definitions).generateDocument({ openapi: '3.1.0', info });
  }

  private document<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType, H extends z.ZodObject>(def: RouteDefinition<P, Q, B, H>): void {
    const responses: Record<string, { description: string; content?: Record<string, { schema: z.ZodType }> }> = {};
    for (const [status, r] of Object.entries(def.responses)) {
      responses[status] = r.schema ? { description: r.description, content: { 'application/json': { schema: r.schema } } } : { description: r.description };
    }
    if (def.params || def.query || def.body || def.headers) responses['400'] ??= { description: 'Invalid request: the message names each invalid field', content: { 'application/json': { schema: ErrorSchema } } };
    if (def.body) responses['415'] ??= { description: 'The request body is not application/json', content: { 'application/json': { schema: ErrorSchema } } };
    if (def.auth) {
      responses['401'] ??= { description: 'Missing, malformed, expired or invalid access token', content: { 'application/json': { schema: ErrorSchema } } };
      if (def.auth === 'admin') responses['403'] ??= { description: 'The token lacks the admin role', content: { 'application/json': { schema: ErrorSchema } } };
    }
    this.registry.registerPath({
      method: def.method,
      path: def.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}'),
      summary: def.summary,
      tags: def.tags,
      ...(def.auth ? { security: [{ bearer: [] }] } : {}),
      request: {
        ...(def.params ? { params: def.params as unknown as z.ZodObject } : {}),
        ...(def.query ? { query: def.query as unknown as z.ZodObject } : {}),
        ...(def.headers ? { headers: def.headers } : {}),
        ...(def.body ? { body: { content: { 'application/json': { schema: def.body } } } } : {}),
      },
      responses,
    });
  }
}

function parse<S extends z.ZodType>(schema: S | undefined, value: unknown, location: string): z.output<S> | undefined {
  if (!schema) return undefined;
  const result = schema.safeParse(value);
  if (!result.success) throw ValidationError.fromZod(result.error, location);
  if (hasNulText(result.data)) throw invalidFields(pathsOfNulText(result.data, [location]), 'must not contain the NUL character (U+0000)');
  return result.data;
}

function hasBody(req: Request): boolean {
  return req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] ?? '0') !== '0';
}

/** Every query parameter is a single value: `?page=1&page=2` or `?limit[]=5` is a 400 naming it, not a silent guess. */
function singleValued(query: Record<string, unknown>): Record<string, unknown> {
  if (Object.values(query).every((value) => typeof value === 'string')) return query;
  const repeated = Object.entries(query)
    .filter(([, value]) => typeof value !== 'string')
    .map(([name]) => `query.${name}`);
  if (repeated.length > 0) throw invalidFields(repeated, 'must be given once, as a plain value');
  return query;
}

/** PostgreSQL text cannot hold U+0000: such input is refused here instead of failing in the database. */
function hasNulText(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (value === null || typeof value !== 'object') return false;
  for (const v of Array.isArray(value) ? value : Object.values(value)) if (hasNulText(v)) return true;
  return false;
}

/** Where the NUL characters are (hasNulText found one), by field path. */
function pathsOfNulText(value: unknown, path: string[]): string[] {
  if (typeof value === 'string') return value.includes('\u0000') ? [path.join('.')] : [];
  if (Array.isArray(value)) return value.flatMap((v, i) => pathsOfNulText(v, [...path, String(i)]));
  if (value !== null && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => pathsOfNulText(v, [...path, k]));
  return [];
}

function invalidFields(fields: string[], reason: string): ValidationError {
  return new ValidationError(fields.map((field) => `${field}: ${reason}`).join('; '), fields.map((field) => ({ field, reason })));
}

