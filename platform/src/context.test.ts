import { describe, expect, it } from 'vitest';
import { contextFromHeaders, parseTraceparent, propagationHeaders, runWithContext } from './context.js';

describe('request context', () => {
  it('keeps a well-formed incoming x-request-id', () => {
    expect(contextFromHeaders({ 'x-request-id': 'abc-123' }).requestId).toBe('abc-123');
  });

  it('replaces an x-request-id that could inject into logs or headers', () => {
    const ctx = contextFromHeaders({ 'x-request-id': 'bad id\r\nx: y' });
    expect(ctx.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('continues the trace of a valid traceparent with a new span', () => {
    const ctx = contextFromHeaders({ traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' });
    expect(ctx.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(ctx.spanId).not.toBe('00f067aa0ba902b7');
    expect(ctx.traceparent).toBe(`00-4bf92f3577b34da6a3ce929d0e0e4736-${ctx.spanId}-01`);
  });

  it('rejects all-zero and malformed traceparents', () => {
    expect(parseTraceparent('00-00000000000000000000000000000000-00f067aa0ba902b7-01')).toBeUndefined();
    expect(parseTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01')).toBeUndefined();
    expect(parseTraceparent('garbage')).toBeUndefined();
  });

  it('propagates the current request id and traceparent to outgoing calls', () => {
    const ctx = contextFromHeaders({ 'x-request-id': 'r1' });
    expect(runWithContext(ctx, () => propagationHeaders())).toEqual({ 'x-request-id': 'r1', traceparent: ctx.traceparent });
    expect(propagationHeaders()).toEqual({});
  });
});
