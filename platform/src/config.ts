import { z } from 'zod';

/** Thrown when configuration is invalid; the message names the source, each field and why. */
export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly issues: { field: string; reason: string }[],
  ) {
    super(
      `Invalid configuration in ${source}:\n` +
        issues.map((i) => `  - ${i.field}: ${i.reason}`).join('\n'),
    );
    this.name = 'ConfigError';
  }
}

/** Turns zod issues into `field: reason` pairs, the field written as a dotted path. */
export function describeIssues(error: z.ZodError): { field: string; reason: string }[] {
  return error.issues.map((issue) => ({
    field: issue.path.length > 0 ? issue.path.map(String).join('.') : '(root)',
    reason: issue.message,
  }));
}

/**
 * Validates `input` (by default the process environment) against `schema`.
 * A bad value stops start-up with a ConfigError that names the source and the field.
 */
export function loadConfig<S extends z.ZodType>(
  schema: S,
  input: Record<string, unknown> = process.env,
  source = 'environment variables',
): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw new ConfigError(source, describeIssues(result.error));
  return result.data;
}

/** Common field helpers, so every process reads ports and URLs the same way. */
export const configFields = {
  port: (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback),
  host: (fallback = '127.0.0.1') => z.string().min(1).default(fallback),
  logLevel: () => z.enum(['silent', 'error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly']).default('info'),
  postgresUrl: () =>
    z
      .string({ message: 'is required (a postgresql:// connection URL)' })
      .refine((v) => /^postgres(ql)?:\/\//.test(v), 'must be a postgresql:// URL'),
};
