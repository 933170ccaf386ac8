/**
 * The one catalogue of fleetlb error codes. Code is stable and asserted by tests; the message is
 * one sentence for a person, saying what happened and what to do.
 */
export const ErrorCodes = {
  LAB_GO_MISSING: 'LAB_GO_MISSING',
  LAB_GO_TOO_OLD: 'LAB_GO_TOO_OLD',
  LAB_BUILD_FAILED: 'LAB_BUILD_FAILED',
  LAB_BIN_DIR_INCOMPLETE: 'LAB_BIN_DIR_INCOMPLETE',
  LAB_OPENSSL_MISSING: 'LAB_OPENSSL_MISSING',
  LAB_PORT_IN_USE: 'LAB_PORT_IN_USE',
  LAB_DIR_NOT_A_LAB: 'LAB_DIR_NOT_A_LAB',
  LAB_DIR_BUSY: 'LAB_DIR_BUSY',
  LAB_CONFIG_CHANGED: 'LAB_CONFIG_CHANGED',
  LAB_BAD_MEMBERS: 'LAB_BAD_MEMBERS',
  LAB_START_FAILED: 'LAB_START_FAILED',
  LAB_NOT_RUNNING: 'LAB_NOT_RUNNING',
  LAB_NEEDS_ROOT: 'LAB_NEEDS_ROOT',
  CLI_USAGE: 'CLI_USAGE',
  CONVERT_INVALID_CONFIG: 'CONVERT_INVALID_CONFIG',
  OPS_NOT_FOUND: 'OPS_NOT_FOUND',
  OPS_CONFLICT: 'OPS_CONFLICT',
  AZURE_REQUEST_FAILED: 'AZURE_REQUEST_FAILED',
  KUBE_API_ERROR: 'KUBE_API_ERROR',
  WALKTHROUGH_STEP_FAILED: 'WALKTHROUGH_STEP_FAILED',
  WALKTHROUGH_NOT_READY: 'WALKTHROUGH_NOT_READY',
  NOT_IMPLEMENTED: 'NOT_IMPLEMENTED',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

export class FleetlbError extends Error {
  readonly code: ErrorCode;
  /** Extra lines (log tails, offending values) printed after the sentence. */
  readonly details: string[];

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; details?: string[] } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'FleetlbError';
    this.code = code;
    this.details = options.details ?? [];
  }
}

export function isFleetlbError(err: unknown, code?: ErrorCode): err is FleetlbError {
  return err instanceof FleetlbError && (code === undefined || err.code === code);
}
