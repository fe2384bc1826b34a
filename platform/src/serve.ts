import http, { type RequestListener, type Server, type ServerOptions } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The HTTP timeouts of every service that sits behind the proxy (or a load balancer): keep-alive
 * longer than the proxy's idle upstream connections, so the service never closes a connection the
 * proxy is about to reuse; header and request deadlines so a slow client cannot hold a socket.
 */
export const SERVICE_TIMEOUTS = { keepAliveTimeout: 65_000, headersTimeout: 66_000, requestTimeout: 120_000 } as const;

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
export function serve(app: RequestListener, options: { port: number; host: string; portSetting?: string; server?: ServerOptions }): Promise<{ server: Server; url: string }> {
  const server = http.createServer({ ...SERVICE_TIMEOUTS, ...options.server }, app);
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
              ? `${options.host} is not an address of this machine (HOST)`
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
