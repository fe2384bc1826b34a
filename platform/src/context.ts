import { AsyncLocalStorage } from 'node:async_hooks';
import { randomFillSync, randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';

/** What is known about the request being served; read by the logger and outgoing calls. */
export interface RequestContext {
  requestId: string;
  traceId: string;
  spanId: string;
  /** The incoming W3C traceparent, or one this process started. */
  traceparent: string;
  userId?: string;
}

const storage = new AsyncLocalStorage<RequestContext>();

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

export function currentContext(): RequestContext | undefined {
  return storage.getStore();
}

export function runWithContext<T>(context: RequestContext, fn: () => T): T {
  return storage.run(context, fn);
}

/** Parses a W3C traceparent; all-zero ids are invalid per the specification. */
export function parseTraceparent(value: string | undefined): { traceId: string; parentId: string; flags: string } | undefined {
  const match = value ? TRACEPARENT.exec(value.trim()) : null;
  if (!match) return undefined;
  const [, traceId, parentId, flags] = match as unknown as [string, string, string, string];
  if (/^0+$/.test(traceId) || /^0+$/.test(parentId)) return undefined;
  return { traceId, parentId, flags };
}

// Trace and span ids are drawn from a pool refilled 4 KiB at a time: one system call per ~170
// requests instead of one per request (randomUUID pools the same way).
const POOL = Buffer.alloc(4096);
let poolOffset = POOL.length;

function randomHex(bytes: number): string {
  if (poolOffset + bytes > POOL.length) {
    randomFillSync(POOL);
    poolOffset = 0;
  }
  const hex = POOL.toString('hex', poolOffset, poolOffset + bytes);
  poolOffset += bytes;
  return hex;
}

/** Builds the context for an incoming request from its headers, creating what is missing or malformed. */
export function contextFromHeaders(headers: Record<string, string | string[] | undefined>): RequestContext {
  const rawId = headers['x-request-id'];
  const incomingId = Array.isArray(rawId) ? rawId[0] : rawId;
  const requestId = incomingId && REQUEST_ID.test(incomingId) ? incomingId : randomUUID();
  const rawTrace = headers['traceparent'];
  const parent = parseTraceparent(Array.isArray(rawTrace) ? rawTrace[0] : rawTrace);
  // One draw for both ids (this runs for every request the proxy forwards).
  const ids = randomHex(parent ? 8 : 24);
  const spanId = ids.slice(0, 16);
  const traceId = parent?.traceId ?? ids.slice(16);
  const flags = parent?.flags ?? '01';
  return { requestId, traceId, spanId, traceparent: `00-${traceId}-${spanId}-${flags}` };
}

/** Headers to put on every outgoing call made while serving the current request. */
export function propagationHeaders(): Record<string, string> {
  const ctx = currentContext();
  return ctx ? { 'x-request-id': ctx.requestId, traceparent: ctx.traceparent } : {};
}

/** Express middleware: reads or creates `x-request-id` and `traceparent`, echoes them, and runs the rest inside the context. */
export function requestContext() {
  return (req: Request, res: Response, next: NextFunction): void => {
    const ctx = contextFromHeaders(req.headers);
    res.setHeader('x-request-id', ctx.requestId);
    res.setHeader('traceparent', ctx.traceparent);
    storage.run(ctx, next);
  };
}
