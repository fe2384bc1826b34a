export { ConfigError, configFields, describeIssues, loadConfig } from './config.js';
export {
  contextFromHeaders,
  currentContext,
  parseTraceparent,
  propagationHeaders,
  requestContext,
  runWithContext,
  type RequestContext,
} from './context.js';
export {
  AppError,
  ConflictError,
  errorBody,
  errorHandler,
  ForbiddenError,
  NotFoundError,
  notFoundHandler,
  ServiceUnavailableError,
  UnauthorizedError,
  UnprocessableError,
  ValidationError,
  type ErrorBody,
} from './errors.js';
export { createMetricsRegistry, healthRouter, httpMetrics, type ReadinessCheck } from './health.js';
export { createLogger, redact, type Logger } from './logger.js';
export { gracefulShutdown, type Cleanup } from './shutdown.js';
export { ensurePrivateDir, writePrivateFile } from './private-files.js';
export { Api, ErrorSchema, type Claims, type HandlerInput, type HandlerResult, type RouteDefinition, type TokenVerifier } from './api.js';
export { deepFreeze } from './json-response.js';
export { offsetOf, pageOf, pageQueryFields, pageSchema, type Page, type PageRequest } from './pagination.js';
export { buildServiceApp, type ServiceAppOptions } from './service-app.js';
export type { FastLaneOptions } from './request-scope.js';
export { COMMIT_LSN_HEADER, CONSISTENCY_TOKEN_COOKIE, CONSISTENCY_TOKEN_HEADER, formatLsn, NOT_OWNER_SQLSTATE, parseLsn, TRACE_MESSAGE_PREFIX } from './lsn.js';
export {
  ACCESS_TOKEN_ALGORITHM,
  AccessTokenSigner,
  AccessTokenVerifier,
  generateTokenKeyPair,
  tokenConfigFields,
  tokenProblemMessage,
  type AccessClaims,
  type Role,
  type TokenCheck,
  type TokenProblem,
  type TokenSettings,
} from './access-tokens.js';
export { EDGE_TIMEOUTS, EXIT_CODES, ListenError, serve, SERVICE_TIMEOUTS } from './serve.js';
export { requireControlToken } from './control-token.js';
export { freePort } from './free-port.js';
export { Alerts, type Alert, type AlertKind, type AlertSink, type AlertsOptions } from './alerts.js';
