/**
 * The action registry: built-in packs listed in plugins/packs.json and third-party packs named by
 * `plugins:` (runbook or irun.config.yaml), loaded lazily by namespace. Every loaded pack is
 * checked (namespace, description, effect, permissions, schemas compile under strict ajv);
 * a pack that fails is a plugin bug reported with IRUN_PLUGIN_INVALID naming the action.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { COMPILED, PACKAGE_ROOT } from '../util/paths.js';
import { Codes, IrunError } from '../errors.js';
import { ajv, compile, formatAjvErrors, type ValidateFunction } from '../schema/ajv.js';
import { closest } from '../util/similar.js';
import type { ActionDefinition, PluginDefinition } from './api.js';

export { closest, distance } from '../util/similar.js';

const PLUGINS_DIR = path.join(PACKAGE_ROOT, COMPILED ? 'dist/plugins' : 'plugins');

export { PACKAGE_ROOT } from '../util/paths.js';

export interface RegisteredAction {
  id: string;
  namespace: string;
  name: string;
  def: ActionDefinition;
  /** Where the pack came from: "builtin" or the plugin spec. */
  origin: string;
  validateInput(value: unknown): { ok: boolean; message: string; errors: ValidateFunction['errors'] };
  validateOutput(value: unknown): { ok: boolean; message: string; errors: ValidateFunction['errors'] };
}

type Loader = () => Promise<PluginDefinition>;

export function splitActionId(id: string): { namespace: string; name: string } {
  const i = id.lastIndexOf('.');
  return i < 0 ? { namespace: '', name: id } : { namespace: id.slice(0, i), name: id.slice(i + 1) };
}

let builtinManifest: Record<string, string> | undefined;
export function builtinPacks(): Record<string, string> {
  builtinManifest ??= JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'plugins/packs.json'), 'utf8')) as Record<
    string,
    string
  >;
  return builtinManifest;
}

export class Registry {
  private readonly sources = new Map<string, { load: Loader; origin: string }>();
  private readonly loaded = new Map<string, Promise<Map<string, RegisteredAction>>>();

  constructor(options: { builtins?: boolean } = {}) {
    if (options.builtins !== false) {
      for (const [ns, rel] of Object.entries(builtinPacks())) {
        const file = path.join(PLUGINS_DIR, rel);
        this.sources.set(ns, { origin: 'builtin', load: () => importDefault(pathToFileURL(file).href, ns) });
      }
    }
  }

  /** Register an already-imported pack (tests, embedders). */
  addPack(def: PluginDefinition, origin = 'inline'): void {
    this.sources.set(def.namespace, { origin, load: async () => def });
    this.loaded.delete(def.namespace);
  }

  /**
   * Load third-party packs: each spec is a path relative to `baseDir` (starts with "." or "/")
   * or an npm package name resolved from `baseDir`. Their namespaces may not shadow built-ins.
   */
  async loadPlugins(specs: string[], baseDir: string): Promise<void> {
    for (const spec of specs) {
      let url: string;
      if (spec.startsWith('.') || path.isAbsolute(spec)) {
        const file = path.resolve(baseDir, spec);
        if (!existsSync(file)) throw new IrunError(Codes.PLUGIN_LOAD, `plugin '${spec}' not found at ${file}`);
        url = pathToFileURL(file).href;
      } else {
        try {
          const req = createRequire(path.join(baseDir, 'noop.js'));
          url = pathToFileURL(req.resolve(spec)).href;
        } catch (cause) {
          throw new IrunError(Codes.PLUGIN_LOAD, `plugin package '${spec}' cannot be resolved from ${baseDir}`, {
            cause,
            suggestions: [`npm install ${spec}`],
          });
        }
      }
      const def = await importDefault(url, spec);
      const existing = this.sources.get(def.namespace);
      if (existing?.origin === 'builtin') {
        throw new IrunError(
          Codes.PLUGIN_INVALID,
          `plugin '${spec}' uses namespace '${def.namespace}', which is built in`,
        );
      }
      this.sources.set(def.namespace, { origin: spec, load: async () => def });
      this.loaded.delete(def.namespace);
    }
  }

  namespaces(): string[] {
    return [...this.sources.keys()].sort();
  }

  hasNamespace(ns: string): boolean {
    return this.sources.has(ns);
  }

  /** The pack's actions, loading the pack on first use. */
  async pack(namespace: string): Promise<Map<string, RegisteredAction>> {
    let p = this.loaded.get(namespace);
    if (!p) {
      const src = this.sources.get(namespace);
      if (!src) throw new IrunError(Codes.UNKNOWN_ACTION, `no action pack with namespace '${namespace}'`);
      p = src.load().then((def) => checkPack(def, namespace, src.origin));
      this.loaded.set(namespace, p);
    }
    return p;
  }

  async get(id: string): Promise<RegisteredAction | undefined> {
    const { namespace, name } = splitActionId(id);
    if (!this.sources.has(namespace)) return undefined;
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

  /** Every action of every pack (loads them all). */
  async all(): Promise<RegisteredAction[]> {
    const out: RegisteredAction[] = [];
    for (const ns of this.namespaces()) out.push(...(await this.pack(ns)).values());
    return out.sort((a, b) => a.id.localeCompare(b.id));
  }

  /** "Did you mean": close action ids, looking first in the same namespace. */
  async suggest(id: string, max = 2): Promise<string[]> {
    const { namespace } = splitActionId(id);
    let candidates: string[];
    if (this.sources.has(namespace))
      candidates = [...(await this.pack(namespace)).keys()].map((n) => `${namespace}.${n}`);
    else candidates = (await this.all()).map((a) => a.id);
    return closest(id, candidates, max);
  }
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

function checkPack(def: PluginDefinition, expectedNs: string, origin: string): Map<string, RegisteredAction> {
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
  for (const [name, action] of Object.entries(def.actions ?? {})) {
    const id = `${def.namespace}.${name}`;
    const bad = (why: string, cause?: unknown) =>
      new IrunError(Codes.PLUGIN_INVALID, `action '${id}' (${origin}): ${why}`, { cause });
    if (!/^[a-z][A-Za-z0-9]*$/.test(name)) throw bad('action names are lowerCamelCase');
    if (!action.description) throw bad('missing description');
    if (action.effect !== 'read' && action.effect !== 'mutate') throw bad(`effect must be 'read' or 'mutate'`);
    if (!Array.isArray(action.permissions)) throw bad('missing permissions (use [] when none are needed)');
    if (typeof action.run !== 'function') throw bad('missing run()');
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
      def: action,
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
