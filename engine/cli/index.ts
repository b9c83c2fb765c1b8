/** The command map (oclif explicit strategy: no directory scan at start-up). */
import Exec from './commands/exec.js';
import Report from './commands/report.js';
import Resume from './commands/resume.js';
import Runs from './commands/runs.js';
import Show from './commands/show.js';
import Test from './commands/test.js';
import Undo from './commands/undo.js';
import Validate from './commands/validate.js';
import Verify from './commands/verify.js';

export const COMMANDS = {
  exec: Exec,
  report: Report,
  resume: Resume,
  runs: Runs,
  show: Show,
  test: Test,
  undo: Undo,
  validate: Validate,
  verify: Verify,
};
