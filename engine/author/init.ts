/**
 * `irun init`: copy a built-in runbook and the scenarios that rehearse it into a project folder
 * (default ./runbooks) to customize, pointing the yaml-language-server `$schema` lines at the
 * installed schemas so editors keep completing and checking the copies.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { Codes, ExitCode, IrunError } from '../errors.js';
import { PACKAGE_ROOT } from '../plugins/registry.js';

export interface BuiltinRunbook {
  /** File name, e.g. "s3-unintended-access.yaml". */
  name: string;
  id: string;
  title: string;
  file: string;
  scenarios: string[];
}

export interface InitOptions {
  /** Destination folder (default ./runbooks), relative to `cwd`. */
  to?: string;
  force?: boolean;
  cwd?: string;
  /** Folder of built-in runbooks (default: the package's runbooks/). */
  builtinDir?: string;
  /** Folder of the schemas the copies point at (default: the installed package's schemas/). */
  schemasDir?: string;
}

export interface InitResult {
  runbook: string;
  files: { from: string; to: string }[];
  schema: string;
}

const SCHEMA_LINE = /^#\s*yaml-language-server:\s*\$schema=\S*[ \t]*$/m;

function readYaml(file: string): Record<string, unknown> | undefined {
  try {
    const v = parse(readFileSync(file, 'utf8')) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The built-in runbooks, each with the scenarios in runbooks/scenarios/ that belong to it. */
export function listBuiltins(builtinDir = path.join(PACKAGE_ROOT, 'runbooks')): BuiltinRunbook[] {
  if (!existsSync(builtinDir)) return [];
  const runbooks = readdirSync(builtinDir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((name) => ({ name, file: path.join(builtinDir, name), doc: readYaml(path.join(builtinDir, name)) }))
    .filter((r) => r.doc?.irun === 1);
  const scenarioDir = path.join(builtinDir, 'scenarios');
  const scenarios = existsSync(scenarioDir)
    ? readdirSync(scenarioDir)
        .filter((f) => /\.ya?ml$/.test(f))
        .sort()
        .map((f) => ({ file: path.join(scenarioDir, f), doc: readYaml(path.join(scenarioDir, f)) }))
    : [];
  return runbooks.map((r) => ({
    name: r.name,
    id: String(r.doc!.id),
    title: String(r.doc!.title ?? r.doc!.id),
    file: r.file,
    // a scenario names its runbook (file or id); one that names none belongs to the only runbook
    scenarios: scenarios
      .filter(({ file, doc }) => {
        if (typeof doc?.runbook === 'string') return path.resolve(path.dirname(file), doc.runbook) === r.file;
        if (typeof doc?.runbookId === 'string') return doc.runbookId === r.doc!.id;
        return runbooks.length === 1;
      })
      .map((s) => s.file),
  }));
}

/** Where the copies' `$schema` lines point: the installed package's schemas folder. */
export function installedSchemasDir(cwd: string): string {
  // installed as a dependency of the project: node_modules/irun/schemas, found upwards from cwd
  for (let dir = path.resolve(cwd); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', 'irun', 'schemas');
    if (existsSync(path.join(candidate, 'runbook.schema.json'))) return candidate;
    if (path.dirname(dir) === dir) break;
  }
  return path.join(PACKAGE_ROOT, 'schemas');
}

/** `$schema` value for a file in `fromDir`: a relative path with forward slashes when possible. */
export function schemaRef(fromDir: string, schemaFile: string): string {
  const rel = path.relative(fromDir, schemaFile);
  if (path.isAbsolute(rel)) return new URL(`file://${schemaFile.split(path.sep).join('/')}`).href; // another drive
  return rel.split(path.sep).join('/');
}

/** Replace (or add, at the top) the yaml-language-server `$schema` line. */
export function setSchemaLine(text: string, ref: string): string {
  const line = `# yaml-language-server: $schema=${ref}`;
  return SCHEMA_LINE.test(text) ? text.replace(SCHEMA_LINE, line) : `${line}\n${text}`;
}

/** Copy a built-in runbook and its scenarios. Refuses to overwrite any file without `force`. */
export function initRunbook(name: string, options: InitOptions = {}): InitResult {
  const cwd = options.cwd ?? process.cwd();
  const builtins = listBuiltins(options.builtinDir);
  const base = path.basename(name).replace(/\.ya?ml$/, '');
  const found = builtins.find((b) => b.name.replace(/\.ya?ml$/, '') === base || b.id === base);
  if (!found) {
    throw new IrunError(Codes.FILE_NOT_FOUND, `no built-in runbook '${name}'`, {
      exit: ExitCode.FAILED,
      suggestions: builtins.length
        ? [`built-in runbooks: ${builtins.map((b) => b.name).join(', ')}`]
        : ['this installation ships no runbooks'],
    });
  }
  const dest = path.resolve(cwd, options.to ?? 'runbooks');
  const schemas = options.schemasDir ?? installedSchemasDir(cwd);
  const plan = [
    { from: found.file, to: path.join(dest, found.name), schema: path.join(schemas, 'runbook.schema.json') },
    ...found.scenarios.map((s) => ({
      from: s,
      to: path.join(dest, 'scenarios', path.basename(s)),
      schema: path.join(schemas, 'scenario.schema.json'),
    })),
  ];
  if (!options.force) {
    const existing = plan.filter((f) => existsSync(f.to));
    if (existing.length) {
      const shown = existing.map((f) => path.relative(cwd, f.to) || f.to);
      throw new IrunError(
        Codes.FILE_EXISTS,
        `${shown[0]} already exists${shown.length > 1 ? ` (and ${shown.length - 1} more)` : ''}; nothing was copied`,
        {
          exit: ExitCode.FAILED,
          suggestions: ['use --force to overwrite, or --to <dir> to copy elsewhere'],
          details: { files: shown },
        },
      );
    }
  }
  for (const f of plan) {
    mkdirSync(path.dirname(f.to), { recursive: true });
    const text = readFileSync(f.from, 'utf8');
    if (SCHEMA_LINE.test(text) || f.from === found.file)
      writeFileSync(f.to, setSchemaLine(text, schemaRef(path.dirname(f.to), f.schema)));
    else copyFileSync(f.from, f.to);
  }
  return {
    runbook: path.join(dest, found.name),
    files: plan.map((f) => ({ from: f.from, to: f.to })),
    schema: schemaRef(dest, path.join(schemas, 'runbook.schema.json')),
  };
}
