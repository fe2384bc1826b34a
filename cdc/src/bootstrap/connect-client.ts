/** The few calls of Kafka Connect's REST API the project uses. */

/** Kafka Connect's REST API and the basic-auth credentials it requires (`BasicAuthSecurityRestExtension`). */
export interface ConnectApi {
  url: string;
  username: string;
  password: string;
}

/** The `Authorization` header for Connect's REST API. */
export function connectAuthHeader(api: Pick<ConnectApi, 'username' | 'password'>): string {
  return `Basic ${Buffer.from(`${api.username}:${api.password}`, 'utf8').toString('base64')}`;
}

export interface ConnectorStatus {
  name: string;
  connector: { state: string; worker_id: string; trace?: string };
  tasks: Array<{ id: number; state: string; worker_id: string; trace?: string }>;
  type?: string;
}

export class ConnectError extends Error {
  override readonly name = 'ConnectError';
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

async function call(api: ConnectApi, method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  let response: Response;
  try {
    response = await fetch(`${api.url}${path}`, {
      method,
      headers: { authorization: connectAuthHeader(api), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (err) {
    throw new ConnectError(`Kafka Connect at ${api.url} is not reachable (${err instanceof Error ? err.message : String(err)})`);
  }
  if (response.status === 401) {
    await response.body?.cancel();
    throw new ConnectError(
      `Kafka Connect at ${api.url} refused the credentials of user ${api.username} (HTTP 401): use the user and password of its REST realm (connectUser and connectPassword in .stack/secrets.json, or CONNECT_USER and CONNECT_PASSWORD)`,
      401,
    );
  }
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // Not JSON: keep the text.
  }
  return { status: response.status, body: parsed };
}

function messageOf(body: unknown): string {
  if (body && typeof body === 'object' && 'message' in body) return String((body as { message: unknown }).message);
  return typeof body === 'string' ? body : JSON.stringify(body);
}

/**
 * Creates or updates a connector (`PUT /connectors/<name>/config` is idempotent). Retries while the
 * worker is rebalancing (409) or starting up (5xx); a 400 (invalid config) fails at once with
 * Connect's own validation message.
 */
export async function putConnectorConfig(connect: ConnectApi, name: string, config: Record<string, string>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { status, body } = await call(connect, 'PUT', `/connectors/${encodeURIComponent(name)}/config`, config);
    if (status === 200 || status === 201) return;
    const retriable = status === 409 || status >= 500;
    if (!retriable || Date.now() > deadline) {
      throw new ConnectError(`Kafka Connect refused the configuration of connector ${name} (HTTP ${status}): ${messageOf(body)}`, status);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

export async function getConnectorStatus(connect: ConnectApi, name: string): Promise<ConnectorStatus | undefined> {
  const { status, body } = await call(connect, 'GET', `/connectors/${encodeURIComponent(name)}/status`);
  if (status === 404) return undefined;
  if (status !== 200) throw new ConnectError(`status of connector ${name}: HTTP ${status}: ${messageOf(body)}`, status);
  return body as ConnectorStatus;
}

export async function getConnectorConfig(connect: ConnectApi, name: string): Promise<Record<string, string> | undefined> {
  const { status, body } = await call(connect, 'GET', `/connectors/${encodeURIComponent(name)}/config`);
  if (status === 404) return undefined;
  if (status !== 200) throw new ConnectError(`config of connector ${name}: HTTP ${status}: ${messageOf(body)}`, status);
  return body as Record<string, string>;
}

/** All connectors with their status (`GET /connectors?expand=status`). */
export async function listConnectorStatuses(connect: ConnectApi): Promise<ConnectorStatus[]> {
  const { status, body } = await call(connect, 'GET', '/connectors?expand=status');
  if (status !== 200) throw new ConnectError(`listing connectors: HTTP ${status}: ${messageOf(body)}`, status);
  return Object.values(body as Record<string, { status: ConnectorStatus }>).map((c) => c.status);
}

export async function deleteConnector(connect: ConnectApi, name: string): Promise<boolean> {
  const { status, body } = await call(connect, 'DELETE', `/connectors/${encodeURIComponent(name)}`);
  if (status === 404) return false;
  if (status !== 204 && status !== 200) throw new ConnectError(`deleting connector ${name}: HTTP ${status}: ${messageOf(body)}`, status);
  return true;
}

/** Restarts a connector and its failed tasks (`POST /connectors/<name>/restart?includeTasks=true&onlyFailed=true`). */
export async function restartConnector(connect: ConnectApi, name: string): Promise<void> {
  await call(connect, 'POST', `/connectors/${encodeURIComponent(name)}/restart?includeTasks=true&onlyFailed=true`);
}

/**
 * Waits until the connector and every task are RUNNING (at least one task), steadily for a second. A FAILED
 * connector or task stops the wait with its error trace.
 */
export async function waitForConnectorRunning(connect: ConnectApi, name: string, timeoutMs = 120_000): Promise<ConnectorStatus> {
  const deadline = Date.now() + timeoutMs;
  let last: ConnectorStatus | undefined;
  let runningSince: number | undefined;
  while (Date.now() < deadline) {
    last = await getConnectorStatus(connect, name).catch((err: unknown) => {
      // Wrong credentials do not heal by waiting; a worker that is still starting does.
      if (err instanceof ConnectError && err.status === 401) throw err;
      return undefined;
    });
    if (last) {
      if (last.connector.state === 'FAILED') {
        throw new ConnectError(`connector ${name} FAILED:\n${last.connector.trace ?? '(no trace)'}`);
      }
      const failed = last.tasks.find((t) => t.state === 'FAILED');
      if (failed) throw new ConnectError(`task ${failed.id} of connector ${name} FAILED:\n${failed.trace ?? '(no trace)'}`);
      const running = last.connector.state === 'RUNNING' && last.tasks.length > 0 && last.tasks.every((t) => t.state === 'RUNNING');
      // A task reports RUNNING when it starts, and can fail a moment later: RUNNING must hold for a second.
      if (running && runningSince !== undefined && Date.now() - runningSince >= 1_000) return last;
      runningSince = running ? (runningSince ?? Date.now()) : undefined;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  const seen = last ? `connector ${last.connector.state}, tasks [${last.tasks.map((t) => `${t.id}:${t.state}`).join(', ')}]` : 'not found';
  throw new ConnectError(`connector ${name} was not RUNNING within ${Math.round(timeoutMs / 1000)} s (${seen})`);
}
