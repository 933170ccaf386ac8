/** Environment variables through which jest's global setup hands the shared lab to test files. */
export const TEST_LAB_DIR_ENV = 'FLEETLB_TEST_LAB_DIR';
/** Set by global setup when it started the lab itself (and so must stop it). */
export const TEST_LAB_OWNED_ENV = 'FLEETLB_TEST_LAB_OWNED';
/** Default directory of the test lab, inside the checkout (git-ignored). */
export const DEFAULT_TEST_LAB_DIR = '.lab-test';
