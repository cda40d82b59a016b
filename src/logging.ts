import pino, { type Logger } from 'pino';
import { redactSensitive } from './privacy/mask.js';

/**
 * The service logger. Every string that reaches a log line (message and fields) passes
 * through `redactSensitive`, so no full ID number, phone, e-mail or code is ever printed,
 * and fields that must never be logged at all are censored by name.
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      redact: {
        paths: [
          'password',
          '*.password',
          'newPassword',
          '*.newPassword',
          'code',
          '*.code',
          'token',
          '*.token',
          'req.headers.cookie',
          'req.headers.authorization',
          'answers',
          '*.answers',
        ],
        censor: '[redacted]',
      },
      formatters: { log: (object) => scrub(object) as Record<string, unknown> },
      hooks: {
        logMethod(args, method) {
          method.apply(this, args.map((arg) => (typeof arg === 'string' ? redactSensitive(arg) : arg)) as Parameters<typeof method>);
        },
      },
    },
    destination,
  );
}

function scrub(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactSensitive(value);
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error)
    return { type: value.name, message: redactSensitive(value.message), stack: value.stack && redactSensitive(value.stack) };
  if (Array.isArray(value)) return value.map((item) => scrub(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) out[key] = scrub(item, depth + 1);
  return out;
}
