import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';

/** RFC 9110 §7.6.1 connection-specific headers, never forwarded in either direction. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

/**
 * Headers a client may not name in `Connection`: "drop this header before forwarding" would remove
 * the request's framing (the way a body was smuggled onto a pooled upstream connection), its
 * target, its credentials or its correlation. A request whose `Connection` names one is refused.
 */
const PROTECTED = new Set([
  'content-length',
  'transfer-encoding',
  'host',
  'authorization',
  'cookie',
  'content-type',
  'content-encoding',
  'expect',
  'x-request-id',
  'traceparent',
  'tracestate',
]);

/** Request headers the proxy replaces (what it saw, the body's framing it sets itself) or never forwards. */
const DROPPED_FOR_UPSTREAM = new Set(['forwarded', 'x-real-ip', 'content-length', 'expect']);

const SAFE_WITHOUT_BODY = new Set(['GET', 'HEAD']);

/** `Connection` values that name only a header dropped anyway as hop-by-hop (nearly every request and answer): no tokens to split. */
const PLAIN_CONNECTION = new Set(['keep-alive', 'Keep-Alive', 'upgrade', 'Upgrade']);

function connectionTokens(value: string | string[] | undefined): string[] {
  if (!value || (typeof value === 'string' && PLAIN_CONNECTION.has(value))) return [];
  return (Array.isArray(value) ? value.join(',') : value)
    .split(',')
    .map((t) => t.trim().toLowerCase())
    .filter(Boolean);
}

export interface FramingProblem {
  code: string;
  message: string;
}

/** Whether the request carries a body by its framing (Node's parser has already checked the framing's syntax). */
export function declaresBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/**
 * What makes a request's framing or routing headers ambiguous, checked before anything is read or
 * forwarded (RFC 9112 §3.2, §6). Node's parser already refuses Content-Length together with
 * Transfer-Encoding, two Content-Lengths, and malformed header lines; this adds what it lets through.
 */
export function framingProblem(req: IncomingMessage): FramingProblem | undefined {
  const te = req.headers['transfer-encoding'];
  if (te !== undefined) {
    if (req.httpVersionMajor === 1 && req.httpVersionMinor === 0) {
      return { code: 'transfer_encoding_on_http10', message: 'Transfer-Encoding is not allowed on an HTTP/1.0 request' };
    }
    if (te.trim().toLowerCase() !== 'chunked') return { code: 'bad_transfer_encoding', message: 'Only Transfer-Encoding: chunked is accepted' };
  }
  let hosts = 0;
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.length === 4 && raw[i]!.toLowerCase() === 'host') hosts++;
  if (hosts > 1) return { code: 'duplicate_host', message: 'The request has more than one Host header' };
  for (const token of connectionTokens(req.headers.connection)) {
    if (PROTECTED.has(token)) return { code: 'connection_header_forbidden', message: `The Connection header may not name ${token}` };
  }
  if (SAFE_WITHOUT_BODY.has(req.method ?? '') && declaresBody(req)) {
    return { code: 'body_not_allowed', message: `A ${req.method} request may not carry a body` };
  }
  return undefined;
}

/**
 * Rewrites the incoming request's headers for the upstream: hop-by-hop headers (and those named in
 * `Connection`) dropped, client-sent `X-Forwarded-*`/`Forwarded`/`X-Real-IP` replaced by what the
 * proxy saw, correlation headers set. The body's framing is the proxy's own: the body has been read
 * whole, so the upstream gets `Content-Length` of exactly the bytes sent (no `Transfer-Encoding`, no
 * `Expect`), or no framing header at all for a request without a body.
 */
export function upstreamRequestHeaders(req: IncomingMessage, requestId: string, traceparent: string, bodyLength: number | undefined): void {
  const headers = req.headers;
  const tokens = connectionTokens(headers.connection);
  const named = tokens.length ? new Set(tokens) : undefined;
  // A new object rather than deletes from the parsed one: a `delete` turns an object into a slow
  // dictionary, and httpxy and node:http copy and walk these headers again for every request.
  const upstream: IncomingHttpHeaders = {};
  for (const name in headers) {
    if (HOP_BY_HOP.has(name) || named?.has(name) || DROPPED_FOR_UPSTREAM.has(name) || name.startsWith('x-forwarded-')) continue;
    upstream[name] = headers[name];
  }
  if (bodyLength !== undefined) upstream['content-length'] = String(bodyLength);
  upstream['x-forwarded-for'] = req.socket.remoteAddress ?? 'unknown';
  upstream['x-forwarded-proto'] = 'http';
  if (headers.host) upstream['x-forwarded-host'] = headers.host;
  upstream['x-request-id'] = requestId;
  upstream['traceparent'] = traceparent;
  req.headers = upstream;
}

/** Sets the upstream response's headers minus hop-by-hop ones on the client's response; Node re-frames the body for the client. */
export function copyResponseHeaders(headers: IncomingHttpHeaders, res: Pick<ServerResponse, 'setHeader'>): void {
  // Most answers name nothing in Connection (or only keep-alive/close): no set to build then.
  const tokens = connectionTokens(headers.connection);
  const named = tokens.length ? new Set(tokens) : undefined;
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || HOP_BY_HOP.has(name) || named?.has(name)) continue;
    res.setHeader(name, value);
  }
}
