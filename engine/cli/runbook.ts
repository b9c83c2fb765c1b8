/** Finding, loading and validating the runbook a command names. */
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Diagnostic } from '../diagnostics.js';
import { hasErrors } from '../diagnostics.js';
import { Codes, ExitCode, IrunError } from '../errors.js';
import { loadRunbookFile, type Loaded } from '../load/index.js';
import type { RunbookDoc } from '../model.js';
import { PACKAGE_ROOT, Registry } from '../plugins/registry.js';

export const BUILTIN_RUNBOOKS = path.join(PACKAGE_ROOT, 'runbooks');

export function builtinRunbookNames(): string[] {
  try {
    return readdirSync(BUILTIN_RUNBOOKS)
      .filter((f) => /\.ya?ml$/.test(f))
      .sort();
  } catch {
    return [];
  }
}

/** A path, or the file name (with or without .yaml) of a built-in runbook. */
export function resolveRunbookPath(arg: string, cwd = process.cwd()): string {
  const direct = path.resolve(cwd, arg);
  if (existsSync(direct) && statSync(direct).isFile()) return direct;
  const names = builtinRunbookNames();
  const base = path.basename(arg);
  for (const candidate of [base, `${base}.yaml`, `${base}.yml`]) {
    if (names.includes(candidate)) return path.join(BUILTIN_RUNBOOKS, candidate);
  }
  throw new IrunError(
    Codes.FILE_NOT_FOUND,
    `runbook '${arg}' not found (no such file, and no built-in runbook of that name)`,
    {
      exit: ExitCode.FAILED,
      suggestions: names.length ? [`built-in runbooks: ${names.join(', ')}`] : [],
    },
  );
}

/** Read the `plugins:` of irun.config.yaml in the working directory, if there is one. */
export async function configPlugins(cwd = process.cwd()): Promise<{ plugins: string[]; dir: string } | undefined> {
  for (const name of ['irun.config.yaml', 'irun.config.yml']) {
    const file = path.join(cwd, name);
    if (!existsSync(file)) continue;
    const { parse } = await import('yaml');
    const { readFileSync } = await import('node:fs');
    let doc: unknown;
    try {
      doc = parse(readFileSync(file, 'utf8'));
    } catch (cause) {
      throw new IrunError(Codes.YAML_SYNTAX, `${file}: ${(cause as Error).message}`, { cause });
    }
    const plugins = (doc as { plugins?: unknown } | null)?.plugins;
    if (plugins !== undefined && (!Array.isArray(plugins) || plugins.some((p) => typeof p !== 'string'))) {
      throw new IrunError(Codes.SCHEMA, `${file}: plugins must be a list of package names or relative paths`);
    }
    return { plugins: (plugins as string[] | undefined) ?? [], dir: cwd };
  }
  return undefined;
}

export interface ReadyRunbook {
  loaded: Loaded;
  doc: RunbookDoc;
  registry: Registry;
  diagnostics: Diagnostic[];
}

/**
 * Load and validate a runbook for running: a runbook with errors is never run — the error
 * carries the diagnostics.
 */
export async function loadForRun(file: string, registry = new Registry()): Promise<ReadyRunbook> {
  const cfg = await configPlugins();
  if (cfg?.plugins.length) await registry.loadPlugins(cfg.plugins, cfg.dir);
  const { validateRunbook } = await import('../validate/index.js');
  const loaded = await loadRunbookFile(file);
  const diagnostics =
    hasErrors(loaded.diagnostics) || !loaded.doc ? loaded.diagnostics : await validateRunbook(loaded, { registry });
  if (hasErrors(diagnostics) || !loaded.doc) {
    throw Object.assign(
      new IrunError(
        Codes.RUNBOOK_INVALID,
        `runbook ${path.relative(process.cwd(), file) || file} does not validate; nothing was run`,
        {
          exit: ExitCode.FAILED,
          details: { diagnostics },
        },
      ),
      { diagnostics, loaded },
    );
  }
  // The code of the packs the runbook uses is imported now, before any step: a pack whose code
  // disagrees with the manifest it was validated against stops the run here.
  const { actionUses } = await import('../report/actions.js');
  const { splitActionId } = await import('../plugins/registry.js');
  await registry.loadCode(new Set(actionUses(loaded.doc).map((u) => splitActionId(u.action).namespace)));
  return { loaded, doc: loaded.doc, registry, diagnostics };
}
