import http, { type RequestListener, type Server, type ServerOptions } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The HTTP timeouts of every service that sits behind the proxy (or a load balancer): keep-alive
 * longer than the proxy's idle upstream connections, so the service never closes a connection the
 * proxy is about to reuse; header and request deadlines so a slow client cannot hold a socket.
 */
export const SERVICE_TIMEOUTS = { keepAliveTimeout: 65_000, headersTimeout: 66_000, requestTimeout: 120_000 } as const;

/**
 * The timeouts of the public listener at the edge (the proxy's stable URL), which faces clients
 * rather than a proxy: a short header deadline and keep-alive so that idle or trickling clients
 * cannot hold sockets (ADR-0016). Every other listener uses SERVICE_TIMEOUTS.
 */
export const EDGE_TIMEOUTS = { keepAliveTimeout: 5_000, headersTimeout: 10_000, requestTimeout: 60_000 } as const;

/** Listening failed: the port is taken, or the address cannot be bound. Says which and what to do. */
export class ListenError extends Error {
  constructor(
    readonly code: string | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'ListenError';
  }
}

/**
 * Creates the server and listens; resolves once it really listens, with its URL, and rejects with a
 * ListenError naming the address and the setting to change (a process must never log "listening"
 * and carry on without a server). `portSetting` is the configuration name of the port (`PORT`).
 */
export function serve(
  app: RequestListener,
  options: {
    port: number;
    host: string;
    portSetting?: string;
    /** The host's setting name, for the message when the address is not this machine's. */
    hostSetting?: string;
    /** Server options: SERVICE_TIMEOUTS unless given (the edge passes EDGE_TIMEOUTS). */
    server?: ServerOptions;
    /** Called with the server before it listens (connection caps, clientError handlers). */
    setup?: (server: Server) => void;
  },
): Promise<{ server: Server; url: string }> {
  const server = http.createServer({ ...SERVICE_TIMEOUTS, ...options.server }, app);
  options.setup?.(server);
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      const address = `${options.host}:${options.port}`;
      const setting = options.portSetting ?? 'PORT';
      const message =
        err.code === 'EADDRINUSE'
          ? `${address} is already in use by another process: stop it, or set ${setting} to a free port`
          : err.code === 'EACCES'
            ? `not allowed to listen on ${address}: use a port above 1023 (${setting})`
            : err.code === 'EADDRNOTAVAIL'
              ? `${options.host} is not an address of this machine (${options.hostSetting ?? 'HOST'})`
              : `cannot listen on ${address}: ${err.message}`;
      reject(new ListenError(err.code, message));
    };
    server.once('error', onError);
    server.listen(options.port, options.host, () => {
      server.off('error', onError);
      const { port } = server.address() as AddressInfo;
      resolve({ server, url: `http://${options.host}:${port}` });
    });
  });
}

/**
 * Exit codes every process of ours uses, so a supervisor can tell a crash (restart it, with backoff)
 * from a process that can never start as configured (report it once, with the reason, and leave it
 * stopped). 78 is EX_CONFIG from sysexits.h.
 */
export const EXIT_CODES = {
  /** Crashed or failed at run time: worth a restart. */
  failure: 1,
  /** Bad configuration or manifest, or the port cannot be bound: a restart would fail the same way. */
  config: 78,
} as const;
