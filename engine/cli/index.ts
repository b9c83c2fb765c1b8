/** The command map (oclif explicit strategy: no directory scan at start-up). */
import Exec from './commands/exec.js';
import Validate from './commands/validate.js';

export const COMMANDS = {
  exec: Exec,
  validate: Validate,
};
