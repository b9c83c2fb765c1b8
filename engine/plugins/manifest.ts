/**
 * Pack manifests: the declarative half of an action pack — namespace, and per action its
 * description, schemas, effect, permissions, example and which functions it implements.
 *
 * Validation, listing, docs, schema and permissions read only manifests, so checking a runbook
 * never executes code that came with it (a pack is code; a pull request can bring one). The code
 * is imported when an action first runs (exec, resume, undo, test), and must then agree with its
 * manifest. Built-in packs get theirs generated from the modules at build time
 * (scripts/build-manifest.mjs -> dist/plugins/manifest.json); a third-party pack ships one,
 * made by `irun manifest <module>`.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Codes, IrunError } from '../errors.js';
import type { ActionDefinition, Effect, JsonSchema, PluginDefinition } from './api.js';

/** The functions an action may implement; the manifest records which ones it has. */
export const ACTION_FUNCTIONS = ['capture', 'run', 'preview', 'reversible', 'undo'] as const;
export type ActionFunction = (typeof ACTION_FUNCTIONS)[number];

export const MANIFEST_VERSION = 1;

/** What validation and the catalogue know of one action, without its code. */
export interface ActionManifest {
  title?: string;
  description: string;
  docsUrl?: string;
  input: JsonSchema;
  output: JsonSchema;
  effect: Effect;
  permissions: string[];
  local?: boolean;
  example?: unknown;
  functions: ActionFunction[];
}

/** One pack's manifest (the file a third-party pack ships). */
export interface PackManifest {
  irunManifest: typeof MANIFEST_VERSION;
  namespace: string;
  description?: string;
  actions: Record<string, ActionManifest>;
}

/** The built-in packs: namespace -> module (relative to the plugins folder) and manifest. */
export interface BuiltinManifest {
  irunManifest: typeof MANIFEST_VERSION;
  packs: Record<string, { module: string; manifest: PackManifest }>;
}

/** Extract the manifest of a loaded pack (build time, `irun manifest`, inline packs). */
export function manifestOf(def: PluginDefinition): PackManifest {
  const actions: Record<string, ActionManifest> = {};
  for (const [name, a] of Object.entries(def.actions ?? {})) actions[name] = actionManifestOf(a);
  return {
    irunManifest: MANIFEST_VERSION,
    namespace: def.namespace,
    ...(def.description !== undefined ? { description: def.description } : {}),
    actions,
  };
}

function actionManifestOf(a: ActionDefinition): ActionManifest {
  const plain = <T>(v: T): T => (v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T));
  return {
    ...(a.title !== undefined ? { title: a.title } : {}),
    description: a.description,
    ...(a.docsUrl !== undefined ? { docsUrl: a.docsUrl } : {}),
    input: plain(a.input),
    output: plain(a.output),
    effect: a.effect,
    permissions: plain(a.permissions),
    ...(a.local ? { local: true } : {}),
    ...(a.example !== undefined ? { example: plain(a.example) } : {}),
    functions: ACTION_FUNCTIONS.filter((f) => typeof a[f] === 'function'),
  };
}

/** JSON with sorted keys, to compare two values regardless of key order. */
function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, value: unknown) =>
    value && typeof value === 'object' && !Array.isArray(value)
      ? Object.fromEntries(Object.entries(value as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)))
      : value,
  );
}

/** Where a pack's code and its manifest disagree (empty when they agree). */
export function manifestDifferences(manifest: PackManifest, def: PluginDefinition): string[] {
  const actual = manifestOf(def);
  const out: string[] = [];
  if (actual.namespace !== manifest.namespace)
    out.push(`namespace is '${actual.namespace}' in the code, '${manifest.namespace}' in the manifest`);
  const names = new Set([...Object.keys(manifest.actions), ...Object.keys(actual.actions)]);
  for (const name of [...names].sort()) {
    const m = manifest.actions[name];
    const c = actual.actions[name];
    if (!m) out.push(`action '${name}' is in the code but not in the manifest`);
    else if (!c) out.push(`action '${name}' is in the manifest but not in the code`);
    else {
      const fields = new Set([...Object.keys(m), ...Object.keys(c)] as (keyof ActionManifest)[]);
      for (const f of [...fields].sort())
        if (canonical(m[f]) !== canonical(c[f])) out.push(`action '${name}': ${f} differs between code and manifest`);
    }
  }
  return out;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Check the shape of a manifest read from a file (the per-action checks — effect values,
 * schemas that compile — are the registry's, shared with packs registered in code).
 */
export function parsePackManifest(data: unknown, label: string): PackManifest {
  const bad = (why: string) => new IrunError(Codes.PLUGIN_INVALID, `manifest of action pack '${label}': ${why}`);
  if (!isObj(data)) throw bad('not an object');
  if (data.irunManifest !== MANIFEST_VERSION)
    throw bad(`irunManifest must be ${MANIFEST_VERSION} (regenerate it with irun manifest)`);
  if (typeof data.namespace !== 'string') throw bad('namespace must be a string');
  if (!isObj(data.actions)) throw bad('actions must be an object');
  for (const [name, a] of Object.entries(data.actions)) {
    if (!isObj(a)) throw bad(`action '${name}' must be an object`);
    if (!isObj(a.input) || !isObj(a.output)) throw bad(`action '${name}': input and output must be JSON schemas`);
    if (!Array.isArray(a.functions) || a.functions.some((f) => !(ACTION_FUNCTIONS as readonly unknown[]).includes(f)))
      throw bad(`action '${name}': functions must list some of ${ACTION_FUNCTIONS.join(', ')}`);
  }
  return data as unknown as PackManifest;
}

/** Read a manifest file (JSON). Only data is read: nothing is imported or evaluated. */
export function readPackManifest(file: string, label: string): PackManifest {
  let text: string;
  try {
    if (!statSync(file).isFile()) throw new Error('not a regular file');
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new IrunError(Codes.PLUGIN_LOAD, `cannot read the manifest of action pack '${label}' (${file})`, { cause });
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (cause) {
    throw new IrunError(
      Codes.PLUGIN_INVALID,
      `manifest of action pack '${label}' is not JSON: ${(cause as Error).message}`,
      {
        cause,
      },
    );
  }
  return parsePackManifest(data, label);
}

/** The manifest file beside a pack module: `pack.js` -> `pack.manifest.json`. */
export function manifestBeside(moduleFile: string): string {
  return moduleFile.replace(/\.[cm]?[jt]s$/, '') + '.manifest.json';
}

const looksLikePack = (v: unknown): v is PluginDefinition =>
  isObj(v) && typeof v.namespace === 'string' && isObj(v.actions);

/**
 * Find every built-in pack under `dir`: each module whose default export is a pack. Used at
 * build time on dist/plugins, and when irun runs from its TypeScript sources. A pack re-exported
 * by a second module is counted once (the shorter path wins); two different packs with one
 * namespace are an error.
 */
export async function discoverPacks(
  dir: string,
  ext: '.js' | '.ts',
  include: (relative: string) => boolean = () => true,
): Promise<BuiltinManifest> {
  const files: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(d, e.name);
      if (e.isDirectory()) walk(full);
      else if (
        e.name.endsWith(ext) &&
        !e.name.endsWith('.d.ts') &&
        !/\.test\./.test(e.name) &&
        include(path.relative(dir, full))
      )
        files.push(full);
    }
  };
  walk(dir);
  const found = new Map<string, { module: string; def: PluginDefinition }>();
  for (const file of files) {
    const mod = (await import(pathToFileURL(file).href)) as { default?: unknown };
    if (!looksLikePack(mod.default)) continue;
    const rel = path.relative(dir, file).split(path.sep).join('/');
    const prev = found.get(mod.default.namespace);
    if (prev && prev.def !== mod.default)
      throw new IrunError(
        Codes.PLUGIN_INVALID,
        `two built-in packs declare namespace '${mod.default.namespace}': ${prev.module} and ${rel}`,
      );
    if (!prev || rel.length < prev.module.length) found.set(mod.default.namespace, { module: rel, def: mod.default });
  }
  const packs: BuiltinManifest['packs'] = {};
  for (const [ns, { module, def }] of [...found].sort(([a], [b]) => a.localeCompare(b)))
    packs[ns] = { module, manifest: manifestOf(def) };
  return { irunManifest: MANIFEST_VERSION, packs };
}

/**
 * The manifest of a pack module, by importing it: what `irun manifest` writes for a pack's
 * author. This runs the module's code, so it is only ever done on the author's request.
 */
export async function manifestOfModule(file: string): Promise<PackManifest> {
  let mod: { default?: unknown };
  try {
    mod = (await import(pathToFileURL(path.resolve(file)).href)) as { default?: unknown };
  } catch (cause) {
    throw new IrunError(Codes.PLUGIN_LOAD, `cannot load action pack ${file}: ${(cause as Error).message}`, { cause });
  }
  if (!looksLikePack(mod.default))
    throw new IrunError(
      Codes.PLUGIN_INVALID,
      `${file} has no default export that is an action pack (use definePlugin)`,
    );
  return manifestOf(mod.default);
}
