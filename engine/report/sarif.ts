/**
 * `irun validate --format sarif`: diagnostics as SARIF 2.1.0, the format code-scanning services
 * (GitHub code scanning, Azure DevOps, ...) import. One run, tool `irun`, one rule per diagnostic
 * code, one result per diagnostic with its file (a relative URI) and region.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Diagnostic } from '../diagnostics.js';
import { PACKAGE_ROOT } from '../plugins/registry.js';

let version: string | undefined;
function irunVersion(): string {
  version ??= (JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string })
    .version;
  return version;
}

export const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';

/** What each validation code means, for the rule descriptions. */
const RULES: Record<string, string> = {
  IRUN_YAML_SYNTAX: 'The file is not valid YAML.',
  IRUN_SCHEMA: 'The runbook does not match the runbook schema.',
  IRUN_FILE_NOT_FOUND: 'A file could not be found or read.',
  IRUN_DUPLICATE_ID: 'A step or part id is used more than once.',
  IRUN_UNKNOWN_TARGET: 'A goto, call, next or branch target names no step or part.',
  IRUN_UNKNOWN_ACTION: 'A step names an action no installed pack provides.',
  IRUN_ACTION_INPUT: "A literal with: value does not satisfy the action's input schema.",
  IRUN_TEMPLATE_SYNTAX: 'A template expression does not parse.',
  IRUN_UNKNOWN_HELPER: 'A template calls a helper that does not exist.',
  IRUN_UNKNOWN_REFERENCE: 'A template refers to an undeclared input, step or variable.',
  IRUN_REF_BEFORE_RUN: 'A template reads a step that cannot have run before this one.',
  IRUN_UNREACHABLE: 'A step can never be reached.',
  IRUN_UNBOUNDED_LOOP: 'A loop has no conditional exit.',
  IRUN_CHOICE_MISMATCH: 'A condition compares an answer to a value that is not one of its choices.',
  IRUN_PLUGIN_LOAD: 'A plugin listed in plugins: cannot be loaded.',
  IRUN_PLUGIN_INVALID: 'A plugin is not a valid action pack.',
};

export interface SarifInput {
  file: string;
  diagnostics: Diagnostic[];
}

/** A URI reference relative to `cwd` with forward slashes (percent-encoded where needed). */
function relativeUri(file: string, cwd: string): string {
  const rel = path.isAbsolute(file) ? path.relative(cwd, file) : file;
  return rel
    .split(path.sep)
    .join('/')
    .split('/')
    .map((seg) => encodeURIComponent(seg))
    .join('/');
}

const positive = (n: unknown, fallback = 1) => (typeof n === 'number' && Number.isInteger(n) && n >= 1 ? n : fallback);

export function toSarif(
  results: SarifInput[],
  options: { cwd?: string; version?: string } = {},
): Record<string, unknown> {
  const cwd = options.cwd ?? process.cwd();
  const diags = results.flatMap((r) => r.diagnostics.map((d) => ({ ...d, file: d.file || r.file })));
  const codes = [...new Set(diags.map((d) => d.code))].sort();
  const ruleIndex = new Map(codes.map((c, i) => [c, i]));
  return {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'irun',
            version: options.version ?? irunVersion(),
            informationUri: 'https://github.com/irun-dev/irun',
            rules: codes.map((id) => ({
              id,
              name: id
                .replace(/^IRUN_/, '')
                .toLowerCase()
                .replace(/_(.)/g, (_, c: string) => c.toUpperCase()),
              shortDescription: { text: RULES[id] ?? id },
            })),
          },
        },
        columnKind: 'unicodeCodePoints',
        results: diags.map((d) => {
          const startLine = positive(d.line);
          const startColumn = positive(d.column);
          const endLine = Math.max(positive(d.endLine, startLine), startLine);
          const endColumn =
            endLine === startLine
              ? Math.max(positive(d.endColumn, startColumn + 1), startColumn)
              : positive(d.endColumn);
          return {
            ruleId: d.code,
            ruleIndex: ruleIndex.get(d.code),
            level: d.severity === 'error' ? 'error' : 'warning',
            message: { text: d.message },
            locations: [
              {
                physicalLocation: {
                  artifactLocation: { uri: relativeUri(d.file, cwd) },
                  region: { startLine, startColumn, endLine, endColumn },
                },
              },
            ],
            ...(d.path ? { properties: { path: d.path } } : {}),
          };
        }),
      },
    ],
  };
}
