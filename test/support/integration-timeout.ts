import { jest } from '@jest/globals';

// Integration tests start processes and wait on real controllers; each test still bounds its
// own waits (see `eventually`), this is only the outer limit.
jest.setTimeout(180_000);
