/**
 * `irun validate`: YAML syntax -> runbook schema -> plugins and action inputs -> semantic rules.
 * Every phase collects diagnostics; nothing is thrown for a bad runbook.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Diagnostic } from '../diagnostics.js';
import { Codes } from '../errors.js';
import { loadRunbookFile, yamlFileKind, type Loaded } from '../load/index.js';
import { Registry } from '../plugins/registry.js';
import { actionPhase, pluginPhase } from './actions.js';
import { autoApprovalPhase } from './approval.js';
import { makeContext, toDiagnostic, type Rule } from './context.js';
import { stepKindRule, targetsRule, unboundedLoopRule, uniqueIdsRule, unreachableRule } from './rules.js';
import { schemaPhase } from './schema.js';
import { outputPathsRule } from './outputs.js';
import type { JsonSchema } from '../plugins/api.js';
import { choiceMismatchRule, collectTemplates, referencesRule, templateSyntaxRule } from './templates.js';

export interface ValidateOptions {
  registry: Registry;
  /** Folder that relative `plugins:` entries are resolved from (default: the runbook's folder). */
  baseDir?: string;
}

/** The result of validating one file. */
export interface FileResult {
  file: string;
  diagnostics: Diagnostic[];
  loaded?: Loaded;
}

/** Validate a loaded runbook. Returns its diagnostics (load diagnostics included), sorted by position. */
export async function validateRunbook(loaded: Loaded, options: ValidateOptions): Promise<Diagnostic[]> {
  const diagnostics: Diagnostic[] = [...loaded.diagnostics];
  // Phases after a YAML error would report on a guess of the document: stop here.
  if (diagnostics.some((d) => d.severity === 'error') || !loaded.yamlDoc) return sortDiagnostics(diagnostics);

  schemaPhase(loaded.doc, (r) => diagnostics.push(toDiagnostic(loaded, r)));
  const ctx = makeContext(loaded, diagnostics);
  if (!ctx) return sortDiagnostics(diagnostics);

  await pluginPhase(ctx, options.registry, options.baseDir ?? path.dirname(path.resolve(loaded.file)));
  await actionPhase(ctx, options.registry);
  await autoApprovalPhase(ctx, options.registry);

  const outputSchemas = new Map<string, JsonSchema>();
  for (const info of ctx.steps) {
    if (typeof info.step.action !== 'string' || !info.id) continue;
    const action = await options.registry.get(info.step.action).catch(() => undefined);
    if (action) outputSchemas.set(info.id, action.def.output);
  }

  const templates = collectTemplates(ctx);
  const rules: Rule[] = [
    stepKindRule,
    uniqueIdsRule,
    targetsRule,
    templateSyntaxRule(templates),
    referencesRule(templates),
    unreachableRule,
    unboundedLoopRule,
    choiceMismatchRule(templates),
    outputPathsRule(templates, outputSchemas),
  ];
  for (const rule of rules) rule(ctx);
  return sortDiagnostics(dedupe(diagnostics));
}

export interface ValidatePathsOptions {
  /** Shared registry; by default each runbook gets a fresh one (its `plugins:` stay its own). */
  registry?: Registry;
  cwd?: string;
}

/**
 * Validate files and directories (default ./runbooks). Directories are searched recursively for
 * *.yaml / *.yml files whose top-level map has an `irun` key, skipping `scenarios/` folders; a
 * YAML file there that is neither a runbook nor a scenario is a warning (IRUN_NOT_A_RUNBOOK).
 */
export async function validatePaths(paths: string[], options: ValidatePathsOptions = {}): Promise<FileResult[]> {
  const cwd = options.cwd ?? process.cwd();
  const display = (abs: string) => {
    const rel = path.relative(cwd, abs);
    return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : abs;
  };
  const results: FileResult[] = [];
  const files: string[] = [];
  for (const p of paths.length ? paths : ['runbooks']) {
    const abs = path.resolve(cwd, p);
    let isDir: boolean;
    try {
      isDir = (await stat(abs)).isDirectory();
    } catch {
      results.push({
        file: p,
        diagnostics: [
          {
            code: Codes.FILE_NOT_FOUND,
            severity: 'error',
            message: `no such file or directory: ${p}`,
            file: p,
            line: 1,
            column: 1,
            endLine: 1,
            endColumn: 1,
            path: '',
          },
        ],
      });
      continue;
    }
    if (isDir) {
      const found = await findRunbooks(abs);
      files.push(...found.runbooks);
      for (const other of found.others) results.push(notARunbook(display(other)));
    } else files.push(abs);
  }
  for (const abs of [...new Set(files)]) {
    const loaded = await loadRunbookFile(abs, display(abs));
    const registry = options.registry ?? new Registry();
    const diagnostics = await validateRunbook(loaded, { registry, baseDir: path.dirname(abs) });
    results.push({ file: loaded.file, diagnostics, loaded });
  }
  return results;
}

const SKIP_DIRS = new Set(['scenarios', 'node_modules']);

/**
 * Runbooks under `dir`, found by parsing each YAML file; the YAML files that are neither a
 * runbook nor a scenario (nor irun.config.yaml) are returned too, to be reported.
 */
async function findRunbooks(dir: string): Promise<{ runbooks: string[]; others: string[] }> {
  const out = { runbooks: [] as string[], others: [] as string[] };
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => a.name.localeCompare(b.name));
  for (const e of entries) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (!SKIP_DIRS.has(e.name) && !e.name.startsWith('.')) {
        const sub = await findRunbooks(full);
        out.runbooks.push(...sub.runbooks);
        out.others.push(...sub.others);
      }
    } else if (/\.ya?ml$/i.test(e.name)) {
      const text = await readFile(full, 'utf8').catch(() => undefined);
      if (text === undefined) continue;
      const kind = yamlFileKind(text, e.name);
      if (kind === 'runbook') out.runbooks.push(full);
      else if (kind === 'other') out.others.push(full);
    }
  }
  return out;
}

function notARunbook(file: string): FileResult {
  return {
    file,
    diagnostics: [
      {
        code: Codes.NOT_A_RUNBOOK,
        severity: 'warning',
        message: `${file} is YAML but neither a runbook (no top-level 'irun' key) nor a scenario (no 'scenario' key); it was not checked`,
        file,
        line: 1,
        column: 1,
        endLine: 1,
        endColumn: 1,
        path: '',
      },
    ],
  };
}

function dedupe(diags: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return diags.filter((d) => {
    const k = `${d.code}|${d.line}|${d.column}|${d.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function sortDiagnostics(diags: Diagnostic[]): Diagnostic[] {
  return diags.sort((a, b) => a.line - b.line || a.column - b.column);
}

export { formatDiagnostics, type Format } from './format.js';
export { buildFlowGraph, cycles, type EdgeLabel, type FlowEdge, type FlowGraph, type FlowNode } from './flow.js';
export { runbookSchema } from './schema.js';
