/**
 * The action registry: built-in packs (found at build time, see manifest.ts) and third-party packs
 * named by `plugins:` (runbook or irun.config.yaml). What the registry serves — ids, schemas,
 * effect, permissions — comes from each pack's manifest, so listing and validating never run a
 * pack's code; an action's functions import the pack's module on first call, and a module that
 * disagrees with its manifest is refused then (IRUN_PLUGIN_MANIFEST). Every pack is checked
 * (namespace, description, effect, permissions, schemas under strict ajv); a pack that fails is a
 * plugin bug reported with IRUN_PLUGIN_INVALID naming the action.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { COMPILED, PACKAGE_ROOT } from '../util/paths.js';
import { Codes, IrunError } from '../errors.js';
import { ajv, compile, formatAjvErrors, type ValidateFunction } from '../schema/ajv.js';
import { closest } from '../util/similar.js';
import type { ActionDefinition, PluginDefinition } from './api.js';
import {
  discoverPacks,
  manifestBeside,
  manifestDifferences,
  manifestOf,
  readPackManifest,
  type ActionManifest,
  type BuiltinManifest,
  type PackManifest,
} from './manifest.js';

export { closest, distance } from '../util/similar.js';

const PLUGINS_DIR = path.join(PACKAGE_ROOT, COMPILED ? 'dist/plugins' : 'plugins');
/** Written by scripts/build-manifest.mjs after compiling. */
export const BUILTIN_MANIFEST = path.join(PACKAGE_ROOT, 'dist/plugins/manifest.json');

export { PACKAGE_ROOT } from '../util/paths.js';

export interface RegisteredAction {
  id: string;
  namespace: string;
  name: string;
  /**
   * The action: its manifest data, and functions that load the pack's code on first call
   * (only the functions the manifest lists are present).
   */
  def: ActionDefinition;
  /** Where the pack came from: "builtin" or the plugin spec. */
  origin: string;
  validateInput(value: unknown): { ok: boolean; message: string; errors: ValidateFunction['errors'] };
  validateOutput(value: unknown): { ok: boolean; message: string; errors: ValidateFunction['errors'] };
}

interface Source {
  origin: string;
  manifest: PackManifest;
  /** Import the pack's code (not checked against the manifest yet). */
  code: () => Promise<PluginDefinition>;
}

export function splitActionId(id: string): { namespace: string; name: string } {
  const i = id.lastIndexOf('.');
  return i < 0 ? { namespace: '', name: id } : { namespace: id.slice(0, i), name: id.slice(i + 1) };
}

let builtinManifest: Promise<BuiltinManifest> | undefined;
/**
 * The built-in packs. Installed (dist/): the manifest generated at build time, read as data.
 * From the TypeScript sources (development, tests): found by importing irun's own modules.
 */
export function builtinPacks(): Promise<BuiltinManifest> {
  builtinManifest ??= COMPILED ? Promise.resolve().then(readBuiltinManifest) : discoverPacks(PLUGINS_DIR, '.ts');
  return builtinManifest;
}

function readBuiltinManifest(): BuiltinManifest {
  try {
    return JSON.parse(readFileSync(BUILTIN_MANIFEST, 'utf8')) as BuiltinManifest;
  } catch (cause) {
    throw new IrunError(
      Codes.PLUGIN_LOAD,
      `the manifest of the built-in action packs is missing or unreadable (${BUILTIN_MANIFEST}); this installation is incomplete (from a checkout: npm run build)`,
      { cause },
    );
  }
}

export class Registry {
  private readonly sources = new Map<string, Source>();
  private readonly loaded = new Map<string, Map<string, RegisteredAction>>();
  private readonly code = new Map<string, Promise<PluginDefinition>>();
  private readonly loadedCode = new Map<string, PluginDefinition>();
  private ready: Promise<void>;

  constructor(options: { builtins?: boolean } = {}) {
    this.ready =
      options.builtins === false
        ? Promise.resolve()
        : builtinPacks().then((b) => {
            for (const [ns, { module, manifest }] of Object.entries(b.packs)) {
              if (this.sources.has(ns)) continue; // replaced by addPack before we got here
              const url = pathToFileURL(path.join(PLUGINS_DIR, module)).href;
              this.sources.set(ns, { origin: 'builtin', manifest, code: () => importDefault(url, ns) });
            }
          });
    // a failure surfaces on first use, not as an unhandled rejection
    this.ready.catch(() => undefined);
  }

  /** Register an already-imported pack (tests, embedders). */
  addPack(def: PluginDefinition, origin = 'inline'): void {
    this.sources.set(def.namespace, { origin, manifest: manifestOf(def), code: async () => def });
    this.forget(def.namespace);
  }

  private forget(ns: string): void {
    this.loaded.delete(ns);
    this.code.delete(ns);
    this.loadedCode.delete(ns);
  }

  /**
   * Add third-party packs: each spec is a path relative to `baseDir` (starts with "." or "/")
   * or an npm package name resolved from `baseDir`. Only their manifests are read here (beside
   * the module as `<module>.manifest.json`, or named by the package.json field
   * `irun.manifest`); the module is imported when one of its actions runs. Their namespaces may
   * not shadow built-ins.
   */
  async loadPlugins(specs: string[], baseDir: string): Promise<void> {
    await this.ready;
    for (const spec of specs) {
      const { file, manifestFile } = locatePlugin(spec, baseDir);
      const manifest = readPackManifest(manifestFile, spec);
      const existing = this.sources.get(manifest.namespace);
      if (existing?.origin === 'builtin') {
        throw new IrunError(
          Codes.PLUGIN_INVALID,
          `plugin '${spec}' uses namespace '${manifest.namespace}', which is built in`,
        );
      }
      const url = pathToFileURL(file).href;
      this.sources.set(manifest.namespace, { origin: spec, manifest, code: () => importDefault(url, spec) });
      this.forget(manifest.namespace);
    }
  }

  async namespaces(): Promise<string[]> {
    await this.ready;
    return [...this.sources.keys()].sort();
  }

  async hasNamespace(ns: string): Promise<boolean> {
    await this.ready;
    return this.sources.has(ns);
  }

  /** The pack's actions, from its manifest (no code is imported). */
  async pack(namespace: string): Promise<Map<string, RegisteredAction>> {
    await this.ready;
    let p = this.loaded.get(namespace);
    if (!p) {
      const src = this.sources.get(namespace);
      if (!src) throw new IrunError(Codes.UNKNOWN_ACTION, `no action pack with namespace '${namespace}'`);
      p = checkPack(src.manifest, namespace, src.origin, (name) => this.lazyFunctions(namespace, name, src));
      this.loaded.set(namespace, p);
    }
    return p;
  }

  /**
   * Import the code of these packs now and check it against their manifests (a run does this
   * before its first step, so a disagreeing pack stops it before anything is called).
   */
  async loadCode(namespaces: Iterable<string>): Promise<void> {
    await this.ready;
    for (const ns of namespaces) if (this.sources.has(ns)) await this.codeOf(ns);
  }

  private codeOf(namespace: string): Promise<PluginDefinition> {
    let p = this.code.get(namespace);
    if (!p) {
      const src = this.sources.get(namespace)!;
      p = src.code().then((def) => {
        const diffs = manifestDifferences(src.manifest, def);
        if (diffs.length)
          throw new IrunError(
            Codes.PLUGIN_MANIFEST,
            `action pack '${src.origin === 'builtin' ? namespace : src.origin}': the code does not match its manifest — ${diffs.slice(0, 5).join('; ')}${diffs.length > 5 ? ` (and ${diffs.length - 5} more)` : ''}`,
            {
              suggestions: [
                src.origin === 'builtin'
                  ? 'rebuild irun (npm run build) so that dist/plugins/manifest.json is regenerated'
                  : `regenerate the manifest: irun manifest <module of ${src.origin}>`,
              ],
            },
          );
        this.loadedCode.set(namespace, def);
        return def;
      });
      this.code.set(namespace, p);
    }
    return p;
  }

  /** Functions that import the pack on first call; `reversible` is synchronous and runs after `run`. */
  private lazyFunctions(namespace: string, name: string, src: Source): Partial<ActionDefinition> {
    const fns: Partial<Record<string, unknown>> = {};
    const impl = async () => (await this.codeOf(namespace)).actions[name];
    for (const f of src.manifest.actions[name].functions) {
      if (f === 'reversible') {
        fns.reversible = (...args: unknown[]) => {
          const def = this.loadedCode.get(namespace);
          if (!def)
            throw new IrunError(
              Codes.INTERNAL,
              `reversible() of ${namespace}.${name} called before its pack was loaded`,
            );
          return (def.actions[name].reversible as (...a: unknown[]) => true | string)(...args);
        };
      } else {
        fns[f] = async (...args: unknown[]) => ((await impl())[f] as (...a: unknown[]) => Promise<unknown>)(...args);
      }
    }
    return fns as Partial<ActionDefinition>;
  }

  async get(id: string): Promise<RegisteredAction | undefined> {
    const { namespace, name } = splitActionId(id);
    if (!(await this.hasNamespace(namespace))) return undefined;
    return (await this.pack(namespace)).get(name);
  }

  async require(id: string): Promise<RegisteredAction> {
    const found = await this.get(id);
    if (!found) {
      const suggestions = await this.suggest(id);
      throw new IrunError(
        Codes.UNKNOWN_ACTION,
        `unknown action '${id}'${suggestions.length ? ` (did you mean ${suggestions.map((s) => `'${s}'`).join(' or ')}?)` : ''}`,
        { suggestions },
      );
    }
    return found;
  }

  /** Every action of every pack. */
  async all(): Promise<RegisteredAction[]> {
    const out: RegisteredAction[] = [];
    for (const ns of await this.namespaces()) out.push(...(await this.pack(ns)).values());
    return out.sort((a, b) => a.id.localeCompare(b.id));
  }

  /** "Did you mean": close action ids, looking first in the same namespace. */
  async suggest(id: string, max = 2): Promise<string[]> {
    const { namespace } = splitActionId(id);
    let candidates: string[];
    if (await this.hasNamespace(namespace))
      candidates = [...(await this.pack(namespace)).keys()].map((n) => `${namespace}.${n}`);
    else candidates = (await this.all()).map((a) => a.id);
    return closest(id, candidates, max);
  }
}

/** The module of a `plugins:` entry and its manifest file, without importing anything. */
function locatePlugin(spec: string, baseDir: string): { file: string; manifestFile: string } {
  if (spec.startsWith('.') || path.isAbsolute(spec)) {
    const file = path.resolve(baseDir, spec);
    if (!existsSync(file)) throw new IrunError(Codes.PLUGIN_LOAD, `plugin '${spec}' not found at ${file}`);
    const manifestFile = manifestBeside(file);
    if (!existsSync(manifestFile)) throw noManifest(spec, manifestFile);
    return { file, manifestFile };
  }
  const req = createRequire(path.join(baseDir, 'noop.js'));
  let file: string;
  try {
    file = req.resolve(spec);
  } catch (cause) {
    throw new IrunError(Codes.PLUGIN_LOAD, `plugin package '${spec}' cannot be resolved from ${baseDir}`, {
      cause,
      suggestions: [`npm install ${spec}`],
    });
  }
  const named = packageManifestField(spec, file);
  const manifestFile = named ?? manifestBeside(file);
  if (!existsSync(manifestFile)) throw noManifest(spec, manifestFile);
  return { file, manifestFile };
}

/** `"irun": { "manifest": "..." }` in the package.json of the package that holds `file`. */
function packageManifestField(spec: string, file: string): string | undefined {
  const parts = spec.split('/');
  const name = spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
  for (let dir = path.dirname(file); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const pj = path.join(dir, 'package.json');
    if (!existsSync(pj) || !statSync(pj).isFile()) continue;
    let pkg: { name?: string; irun?: { manifest?: unknown } };
    try {
      pkg = JSON.parse(readFileSync(pj, 'utf8')) as typeof pkg;
    } catch {
      continue;
    }
    if (pkg.name !== name) continue;
    return typeof pkg.irun?.manifest === 'string' ? path.resolve(dir, pkg.irun.manifest) : undefined;
  }
  return undefined;
}

function noManifest(spec: string, expected: string): IrunError {
  return new IrunError(
    Codes.PLUGIN_MANIFEST,
    `plugin '${spec}' has no manifest (looked for ${expected}); irun reads a pack's actions from its manifest and never runs its code to validate`,
    {
      suggestions: [
        `generate it from the module: irun manifest <module> --out ${path.basename(expected)}`,
        'an npm package may name it in package.json: "irun": { "manifest": "irun.manifest.json" }',
      ],
    },
  );
}

async function importDefault(url: string, label: string): Promise<PluginDefinition> {
  let mod: { default?: PluginDefinition };
  try {
    mod = (await import(url)) as { default?: PluginDefinition };
  } catch (cause) {
    throw new IrunError(Codes.PLUGIN_LOAD, `cannot load action pack '${label}': ${(cause as Error).message}`, {
      cause,
    });
  }
  if (!mod.default || typeof mod.default !== 'object') {
    throw new IrunError(Codes.PLUGIN_INVALID, `action pack '${label}' has no default export (use definePlugin)`);
  }
  return mod.default;
}

function checkPack(
  def: PackManifest,
  expectedNs: string,
  origin: string,
  functions: (name: string) => Partial<ActionDefinition>,
): Map<string, RegisteredAction> {
  if (def.namespace !== expectedNs) {
    throw new IrunError(
      Codes.PLUGIN_INVALID,
      `action pack '${origin}' declares namespace '${def.namespace}', expected '${expectedNs}'`,
    );
  }
  if (!/^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)*$/.test(def.namespace)) {
    throw new IrunError(
      Codes.PLUGIN_INVALID,
      `action pack '${origin}': namespace '${def.namespace}' must be dotted lower-case words`,
    );
  }
  const out = new Map<string, RegisteredAction>();
  for (const [name, action] of Object.entries(def.actions ?? {}) as [string, ActionManifest][]) {
    const id = `${def.namespace}.${name}`;
    const bad = (why: string, cause?: unknown) =>
      new IrunError(Codes.PLUGIN_INVALID, `action '${id}' (${origin}): ${why}`, { cause });
    if (!/^[a-z][A-Za-z0-9]*$/.test(name)) throw bad('action names are lowerCamelCase');
    if (!action.description) throw bad('missing description');
    if (action.effect !== 'read' && action.effect !== 'mutate') throw bad(`effect must be 'read' or 'mutate'`);
    if (!Array.isArray(action.permissions)) throw bad('missing permissions (use [] when none are needed)');
    if (!action.functions?.includes('run')) throw bad('missing run()');
    // Schemas are checked against the meta-schema now and compiled on first use: a runbook
    // uses a few of the actions of a pack, and compiling all of them is most of a cold validate.
    // Built-in packs are checked by the test suite (every schema compiles strictly); third-party
    // packs are checked here, when they load.
    for (const [which, schema] of origin === 'builtin'
      ? []
      : ([
          ['input', action.input],
          ['output', action.output],
        ] as const)) {
      let ok: boolean;
      try {
        ok = ajv().validateSchema(schema) as boolean;
      } catch (cause) {
        throw bad(`${which} schema is invalid: ${(cause as Error).message}`, cause);
      }
      if (!ok) throw bad(`${which} schema is invalid: ${ajv().errorsText(ajv().errors)}`);
    }
    let inFn: ValidateFunction | undefined;
    let outFn: ValidateFunction | undefined;
    const compiled = (which: 'input' | 'output'): ValidateFunction => {
      try {
        return compile(which === 'input' ? action.input : action.output);
      } catch (cause) {
        throw bad(`${which} schema does not compile: ${(cause as Error).message}`, cause);
      }
    };
    out.set(name, {
      id,
      namespace: def.namespace,
      name,
      def: { ...withoutFunctions(action), ...functions(name) } as ActionDefinition,
      origin,
      validateInput: (v) => {
        inFn ??= compiled('input');
        const ok = inFn(v) as boolean;
        return { ok, message: ok ? '' : formatAjvErrors(inFn.errors), errors: inFn.errors };
      },
      validateOutput: (v) => {
        outFn ??= compiled('output');
        const ok = outFn(v) as boolean;
        return { ok, message: ok ? '' : formatAjvErrors(outFn.errors), errors: outFn.errors };
      },
    });
  }
  return out;
}

function withoutFunctions(a: ActionManifest): Omit<ActionManifest, 'functions'> {
  const { functions: _functions, ...rest } = a;
  return rest;
}
