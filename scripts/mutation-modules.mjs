// The trust-critical modules under mutation testing: which source files are mutated and which
// test files (unit tests only: they run without a build) are expected to kill the mutants.
// Listed smallest first; `npm run mutate` runs them in this order, one at a time.

export const MODULES = [
  {
    name: 'redact',
    title: 'Redaction',
    mutate: ['engine/util/redact.ts'],
    spec: ['test/util/redact.test.ts', 'test/run/trust.test.ts'],
  },
  {
    name: 'athena-sql',
    title: 'Athena SQL parameters and quoting',
    mutate: ['plugins/aws-athena/sql.ts', 'plugins/aws-athena/query.ts:63-118'],
    spec: ['test/plugins/aws-athena-sql.test.ts', 'test/plugins/aws-athena.test.ts', 'test/hardening/hostile.test.ts'],
  },
  {
    name: 'approvals-undo',
    title: 'Approvals and undo (the state handed to each undo)',
    mutate: ['engine/run/approval.ts', 'engine/run/undo.ts'],
    spec: ['test/run/approvals-undo.test.ts', 'test/run/flow.test.ts'],
  },
  {
    name: 'aws-common',
    title: 'Dry-run guard and AWS error classification',
    mutate: ['plugins/aws-common/**/*.ts'],
    spec: ['test/plugins/aws-common.test.ts', 'test/plugins/dry-run-guard.test.ts'],
  },
  {
    name: 'template',
    title: 'Template interpreter',
    mutate: ['engine/template/interpret.ts'],
    spec: ['test/template/*.test.ts'],
  },
  {
    name: 'flow',
    title: 'Validator flow graph and flow rules',
    mutate: ['engine/validate/flow.ts', 'engine/validate/rules.ts'],
    spec: [
      'test/validate/flow.test.ts',
      'test/validate/fixtures.test.ts',
      'test/validate/rules.test.ts',
      'test/validate/foreach-part.test.ts',
    ],
  },
  {
    name: 'store',
    title: 'Journal, run store and verification',
    mutate: ['engine/run/store.ts', 'engine/run/verify.ts'],
    spec: [
      'test/run/trust.test.ts',
      'test/run/integrity.test.ts',
      'test/report/report.test.ts',
      'test/hardening/faults.test.ts',
    ],
  },
  {
    name: 'foreach-resume',
    title: 'Executor: forEach items and resume',
    mutate: ['engine/run/foreach.ts', 'engine/run/executor.ts'],
    spec: ['test/run/*.test.ts'],
  },
];

/** The module a source path belongs to (by its mutate globs), if any. */
export function moduleOf(file) {
  const clean = file.replace(/:\d+(-\d+)?$/, '').replace(/^\.\//, '');
  return MODULES.find((m) => m.mutate.some((glob) => globMatch(glob.replace(/:\d+(-\d+)?$/, ''), clean)));
}

function globMatch(glob, file) {
  const re = new RegExp(
    '^' +
      glob
        .split('**/')
        .map((part) =>
          part
            .split('*')
            .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
            .join('[^/]*'),
        )
        .join('(?:.*/)?') +
      '$',
  );
  return re.test(file);
}
