import { jest } from '@jest/globals';

// Components run in-process in some suites; their info logs would bury the test output.
process.env.FLEETLB_LOG_LEVEL ??= 'warn';

// Integration tests start processes and wait on real controllers; each test still bounds its
// own waits (see `eventually`), this is only the outer limit.
jest.setTimeout(180_000);
