// Prints the closing line CI reads: "N passed, N failed, N skipped". A suite that could not run
// (import error, failing hook, global setup) counts as one failure, so it is never lost.
export default class SummaryReporter {
  onRunComplete(_contexts, results) {
    const brokenSuites = results.testResults.filter((r) => r.testExecError || (r.failureMessage && r.numFailingTests === 0)).length;
    const failed = results.numFailedTests + brokenSuites + (results.runExecError ? 1 : 0);
    const skipped = results.numPendingTests + results.numTodoTests;
    process.stdout.write(`\n${results.numPassedTests} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}
