import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { ForbiddenError, ValidationError } from '@strangler/platform';
import type { Request, Response, Router } from 'express';
import { z } from 'zod';
import type { AccessClaims, AccessTokens, Role } from './access-tokens.js';

/**
 * One declaration per route: the same zod schemas validate the request and describe it in the
 * OpenAPI document, so the document cannot drift from what the code accepts.
 */
export interface RouteDefinition<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType> {
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
  /** Request headers worth documenting (e.g. Idempotency-Key). */
  headers?: z.ZodObject;
  responses: Record<number, { description: string; schema?: z.ZodType }>;
}

export interface HandlerInput<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  /** Present when the route declares `auth`. */
  user: AccessClaims;
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

export class Api {
  readonly registry = new OpenAPIRegistry();

  constructor(private readonly tokens: AccessTokens) {
    this.registry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
  }

  /** Registers the route on `router` and in the OpenAPI document. */
  route<P extends z.ZodType = z.ZodObject, Q extends z.ZodType = z.ZodObject, B extends z.ZodType = z.ZodUnknown>(
    router: Router,
    def: RouteDefinition<P, Q, B>,
    handler: (input: HandlerInput<z.output<P>, z.output<Q>, z.output<B>>) => Promise<HandlerResult> | HandlerResult,
  ): void {
    this.document(def);
    const requiredRole: Role | undefined = def.auth === 'admin' ? 'admin' : undefined;
    router[def.method](def.path, async (req, res) => {
      const user = def.auth ? this.tokens.verify(req.headers.authorization) : (undefined as unknown as AccessClaims);
      if (requiredRole && user.role !== requiredRole) throw new ForbiddenError(`This operation needs the ${requiredRole} role`);
      const params = parse(def.params, req.params, 'params');
      const query = parse(def.query, req.query, 'query');
      const body = def.body ? parse(def.body, req.body ?? {}, 'body') : undefined;
      const result = await handler({ params, query, body, user, req, res } as HandlerInput<z.output<P>, z.output<Q>, z.output<B>>);
      for (const [name, value] of Object.entries(result.headers ?? {})) res.setHeader(name, value);
      if (result.body === undefined) res.status(result.status).end();
      else res.status(result.status).json(result.body);
    });
  }

  /** The OpenAPI 3.1 document of every registered route. */
  openApiDocument(info: { title: string; version: string; description?: string }): object {
    return new OpenApiGeneratorV31(this.registry.definitions).generateDocument({ openapi: '3.1.0', info });
  }

  private document<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType>(def: RouteDefinition<P, Q, B>): void {
    const responses: Record<string, { description: string; content?: Record<string, { schema: z.ZodType }> }> = {};
    for (const [status, r] of Object.entries(def.responses)) {
      responses[status] = r.schema ? { description: r.description, content: { 'application/json': { schema: r.schema } } } : { description: r.description };
    }
    if (def.params || def.query || def.body) responses['400'] ??= { description: 'Invalid request: the message names each invalid field', content: { 'application/json': { schema: ErrorSchema } } };
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
  return result.data;
}

