import winston from 'winston';
import { currentContext } from './context.js';

export type Logger = winston.Logger;

const SECRET_KEYS = /pass(word)?|secret|token|authorization|cookie|api[-_]?key|card/i;

/** Replaces values of secret-looking keys so that no token or password ever reaches a log line. */
export function redact(value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== 'object') return value;
  // Past the limit nothing is inspected, so nothing is shown: an unchecked object could hold a secret.
  if (depth > 6) return '[truncated]';
  if (value instanceof Error) return { name: value.name, message: value.message, stack: value.stack };
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    out[key] = SECRET_KEYS.test(key) ? '[redacted]' : redact(v, depth + 1);
  }
  return out;
}

const addContext = winston.format((info) => {
  const ctx = currentContext();
  if (ctx) {
    info.requestId ??= ctx.requestId;
    info.traceId ??= ctx.traceId;
    if (ctx.userId) info.userId ??= ctx.userId;
  }
  return info;
});

const redactSecrets = winston.format((info) => {
  for (const key of Object.keys(info)) {
    if (key === 'level' || key === 'message') continue;
    info[key] = SECRET_KEYS.test(key) ? '[redacted]' : redact(info[key]);
  }
  return info;
});

/**
 * One JSON line per event, with the service name and the request context, on standard output (or on
 * `stream`, where a test reads them).
 */
export function createLogger(service: string, requested = process.env.LOG_LEVEL ?? 'info', stream?: NodeJS.WritableStream): Logger {
  const silent = requested === 'silent';
  // An unknown level would make winston drop every line, the configuration error naming LOG_LEVEL included.
  const level = requested in winston.config.npm.levels ? requested : 'info';
  return winston.createLogger({
    level: silent ? 'error' : level,
    defaultMeta: { service },
    format: winston.format.combine(
      addContext(),
      redactSecrets(),
      winston.format.timestamp(),
      winston.format.errors({ stack: true }),
      winston.format.json(),
    ),
    transports: [stream ? new winston.transports.Stream({ stream, silent }) : new winston.transports.Console({ silent })],
  });
}
