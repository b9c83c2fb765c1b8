'use strict';
// Mocha's dot reporter plus a plain closing line "N passed, N failed, N skipped" that CI reads.
const Mocha = require('mocha');
const { Dot } = Mocha.reporters;
const { EVENT_RUN_END } = Mocha.Runner.constants;

class IrunReporter extends Dot {
  constructor(runner, options) {
    super(runner, options);
    runner.once(EVENT_RUN_END, () => {
      const s = runner.stats || this.stats;
      process.stdout.write(`\n${s.passes} passed, ${s.failures} failed, ${s.pending} skipped\n`);
    });
  }
}
module.exports = IrunReporter;
