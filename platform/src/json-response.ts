import type { ServerResponse } from 'node:http';
import type { Request, Response } from 'express';

/** An answer's JSON as the bytes that go out, with its ETag (absent when the app turned ETags off). */
export interface Serialized {
  bytes: Buffer;
  etag: string | undefined;
}

const KEPT = Symbol('kept answer sent');

/**
 * The kept bytes of the frozen answer this response sent in full with status 200 (sendJson), if it
 * did: what the request scope's fast lane may send again for the same request (request-scope.ts).
 */
export function keptAnswerOf(res: ServerResponse): Serialized | undefined {
  return (res as ServerResponse & { [KEPT]?: Serialized })[KEPT];
}

/** The serialization of each frozen answer sent so far, kept as long as the answer itself is. */
const serializedAnswers = new WeakMap<object, Serialized>();

/**
 * Freezes a value and everything it holds, so that it can be shared by every request that reads it
 * (a cache's entries): nothing can change it any more, so its JSON, once sent, is sent again as is.
 */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value) && !(value instanceof Date)) {
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
    Object.freeze(value);
  }
  return value;
}

function serialize(req: Request, body: unknown): Serialized {
  const bytes = Buffer.from(JSON.stringify(body), 'utf8');
  const etagFn = req.app.get('etag fn') as ((body: Buffer, encoding?: string) => string) | undefined;
  return { bytes, etag: typeof etagFn === 'function' ? etagFn(bytes) : undefined };
}

/**
 * Sends `body` as JSON with the headers, status and freshness handling of Express's `res.json`
 * (Content-Type, Content-Length, the app's ETag, 304 for a matching If-None-Match, no body for HEAD),
 * written at once. A frozen body (deepFreeze) is serialized and hashed once, then its bytes are
 * reused for as long as it lives. A response whose `json` was replaced (a test's fault switch) goes
 * through it. The app's `json replacer`, `json spaces` and `json escape` settings are not applied.
 */
export function sendJson(req: Request, res: Response, status: number, body: unknown): void {
  // What Express would treat specially (set by a handler, or a status without a body) goes through Express.
  if (Object.hasOwn(res, 'json') || status === 205 || res.hasHeader('content-type') || res.hasHeader('etag') || res.hasHeader('transfer-encoding')) {
    res.status(status).json(body);
    return;
  }
  const frozen = body !== null && typeof body === 'object' && Object.isFrozen(body);
  let answer = frozen ? serializedAnswers.get(body) : undefined;
  if (!answer) {
    answer = serialize(req, body);
    if (frozen) serializedAnswers.set(body, answer);
  }
  writeHead(res, status, answer);
  const conditional = req.headers['if-none-match'] !== undefined || req.headers['if-modified-since'] !== undefined;
  if (conditional && req.fresh) res.statusCode = 304;
  if (res.statusCode === 204 || res.statusCode === 304) {
    res.removeHeader('Content-Type');
    res.removeHeader('Content-Length');
    res.end();
  } else if (req.method === 'HEAD') res.end();
  else {
    if (frozen && res.statusCode === 200) (res as Response & { [KEPT]?: Serialized })[KEPT] = answer;
    res.end(answer.bytes);
  }
}

/** Sends kept bytes again as sendJson sent them the first time: status 200, the same headers, in the same order. */
export function sendKept(res: ServerResponse, answer: Serialized): void {
  writeHead(res, 200, answer);
  res.end(answer.bytes);
}

function writeHead(res: ServerResponse, status: number, answer: Serialized): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', answer.bytes.length);
  if (answer.etag) res.setHeader('ETag', answer.etag);
}
