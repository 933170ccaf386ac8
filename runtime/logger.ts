import winston from 'winston';

/** Fields every structured log line may carry; `component` is always set. */
export interface LogFields {
  component: string;
  object?: string;
  reconcileID?: string;
  [key: string]: unknown;
}

export type Logger = winston.Logger;

const level = process.env.FLEETLB_LOG_LEVEL ?? process.env.LOG_LEVEL ?? 'info';

const root = winston.createLogger({
  level,
  format: winston.format.combine(winston.format.timestamp(), winston.format.errors({ stack: true }), winston.format.json()),
  // Logs go to stderr so that command output on stdout stays machine-readable.
  transports: [new winston.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'] })],
});

/** A JSON logger for one component; child loggers add object and reconcile id. */
export function loggerFor(component: string, fields: Omit<LogFields, 'component'> = {}): Logger {
  return root.child({ component, ...fields });
}
