/** The command map (oclif explicit strategy: no directory scan at start-up). */
import Exec from './commands/exec.js';
import Resume from './commands/resume.js';
import Runs from './commands/runs.js';
import Test from './commands/test.js';
import Validate from './commands/validate.js';
import Verify from './commands/verify.js';

export const COMMANDS = {
  exec: Exec,
  resume: Resume,
  runs: Runs,
  test: Test,
  validate: Validate,
  verify: Verify,
};
