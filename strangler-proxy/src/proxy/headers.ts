import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders } from 'node:http';

/** RFC 9110 §7.6.1 connection-specific headers, never forwarded in either direction. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

function connectionTokens(value: string | string[] | undefined): string[] {
  if (!value) return [];
  return (Array.isArray(value) ? value.join(',') : value)
    .split(',')
    .map((t) => t.trim().toLowerCase())
    .filter(Boolean);
}

/**
 * Rewrites the incoming request's headers for the upstream: hop-by-hop headers (and those named in
 * `Connection`) dropped, client-sent `X-Forwarded-*`/`Forwarded`/`X-Real-IP` replaced by what the
 * proxy saw, correlation headers set. `Transfer-Encoding` stays when the body is chunked: it is the
 * body's framing, and Node's parser has already refused it alongside a Content-Length.
 */
export function upstreamRequestHeaders(req: IncomingMessage, requestId: string, traceparent: string): void {
  const headers = req.headers;
  const chunked = headers['transfer-encoding'];
  for (const token of connectionTokens(headers.connection)) delete headers[token];
  for (const name of Object.keys(headers)) {
    if (HOP_BY_HOP.has(name) || name.startsWith('x-forwarded-') || name === 'forwarded' || name === 'x-real-ip') delete headers[name];
  }
  if (chunked !== undefined) headers['transfer-encoding'] = 'chunked';
  headers['x-forwarded-for'] = req.socket.remoteAddress ?? 'unknown';
  headers['x-forwarded-proto'] = 'http';
  if (headers.host) headers['x-forwarded-host'] = headers.host;
  headers['x-request-id'] = requestId;
  headers['traceparent'] = traceparent;
}

/** The upstream response's headers minus hop-by-hop ones; Node re-frames the body for the client. */
export function downstreamResponseHeaders(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  const named = new Set(connectionTokens(headers.connection));
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || named.has(name)) continue;
    out[name] = value;
  }
  return out;
}
