/** The command map (oclif explicit strategy: no directory scan at start-up). */
import Actions from './commands/actions.js';
import Docs from './commands/docs.js';
import Exec from './commands/exec.js';
import Graph from './commands/graph.js';
import Init from './commands/init.js';
import KeysInit from './commands/keys/init.js';
import Manifest from './commands/manifest.js';
import Permissions from './commands/permissions.js';
import Report from './commands/report.js';
import Resume from './commands/resume.js';
import Runs from './commands/runs.js';
import Schema from './commands/schema.js';
import Show from './commands/show.js';
import Test from './commands/test.js';
import Undo from './commands/undo.js';
import Validate from './commands/validate.js';
import Verify from './commands/verify.js';

export const COMMANDS = {
  actions: Actions,
  docs: Docs,
  exec: Exec,
  graph: Graph,
  init: Init,
  'keys:init': KeysInit,
  manifest: Manifest,
  permissions: Permissions,
  report: Report,
  resume: Resume,
  runs: Runs,
  schema: Schema,
  show: Show,
  test: Test,
  undo: Undo,
  validate: Validate,
  verify: Verify,
};
