/**
 * The plugin and action phases: load the runbook's `plugins:`, then for every action step check
 * that the action exists ("did you mean") and that literal `with:` values satisfy its input
 * schema. Templated values are only known at run time, so errors inside them are dropped.
 */
import { Codes, isIrunError } from '../errors.js';
import type { NodePath } from '../model.js';
import type { Registry } from '../plugins/registry.js';
import { hasTemplate } from '../template/index.js';
import type { ErrorObject } from '../schema/ajv.js';
import { didYouMean, isObject, type RuleContext } from './context.js';
import { instanceSegments, readableErrors } from './schema.js';

/** Load each `plugins:` entry into the registry; a failure is reported on that entry. */
export async function pluginPhase(ctx: RuleContext, registry: Registry, baseDir: string): Promise<void> {
  const specs = ctx.doc.plugins;
  if (!Array.isArray(specs)) return;
  for (let i = 0; i < specs.length; i++) {
    const spec = specs[i];
    if (typeof spec !== 'string') continue;
    try {
      await registry.loadPlugins([spec], baseDir);
    } catch (err) {
      const code = isIrunError(err) ? err.code : Codes.PLUGIN_LOAD;
      ctx.report({ code, message: `cannot load plugin '${spec}': ${(err as Error).message}`, path: ['plugins', i] });
    }
  }
}

const containsTemplate = (v: unknown): boolean =>
  typeof v === 'string'
    ? hasTemplate(v)
    : Array.isArray(v)
      ? v.some(containsTemplate)
      : isObject(v)
        ? Object.values(v).some(containsTemplate)
        : false;

/** True when the error concerns a value that is (or lies inside) a templated string. */
function aboutTemplatedValue(e: ErrorObject, data: unknown): boolean {
  const segs = instanceSegments(e.instancePath, data);
  let cur: unknown = data;
  for (let i = 0; ; i++) {
    if (typeof cur === 'string' && hasTemplate(cur)) return true;
    if (i >= segs.length || cur === null || typeof cur !== 'object') break;
    cur = (cur as Record<string, unknown>)[segs[i] as string];
  }
  if (typeof cur === 'string' && hasTemplate(cur)) return true;
  const params = e.params as Record<string, unknown>;
  // a required property that is there but templated, or whose object is built by a template
  if (
    e.keyword === 'required' &&
    isObject(cur) &&
    params.missingProperty !== undefined &&
    String(params.missingProperty) in cur
  )
    return true;
  // alternatives and conditionals cannot be decided while part of the value is templated
  if (['anyOf', 'oneOf', 'not', 'if', 'contains'].includes(e.keyword) && containsTemplate(cur)) return true;
  return false;
}

/** Unknown actions and literal inputs that do not satisfy the action's input schema. */
export async function actionPhase(ctx: RuleContext, registry: Registry): Promise<void> {
  for (const info of ctx.steps) {
    const id = info.step.action;
    if (typeof id !== 'string') continue;
    const actionPath: NodePath = [...info.path, 'action'];
    let action;
    try {
      action = await registry.get(id);
    } catch (err) {
      ctx.report({
        code: isIrunError(err) ? err.code : Codes.PLUGIN_LOAD,
        message: (err as Error).message,
        path: actionPath,
      });
      continue;
    }
    if (!action) {
      const suggestions = await registry.suggest(id).catch(() => [] as string[]);
      ctx.report({
        code: Codes.UNKNOWN_ACTION,
        message: `unknown action '${id}'${didYouMean(suggestions)}`,
        path: actionPath,
        suggestions,
      });
      continue;
    }
    const caller = perItemCaller(ctx, info.partId);
    if (caller && action.def.effect === 'mutate') {
      ctx.report({
        code: Codes.FOREACH_MUTATION,
        message: `'${id}' changes AWS state, but part '${info.partId}' is run per item by forEach step '${caller}': use forEach over the action itself, so that the change is approved and recorded for undo`,
        path: actionPath,
      });
    }
    const input = info.step.with ?? {};
    if (typeof input === 'string') continue; // the whole input is one template
    if (!isObject(input)) continue; // the schema phase reports it
    const result = action.validateInput(input);
    if (result.ok) continue;
    const errors = (result.errors ?? []).filter((e) => !aboutTemplatedValue(e, input));
    const reports = readableErrors(
      errors,
      action.def.input,
      input,
      Codes.ACTION_INPUT,
      [...info.path, 'with'],
      `input of ${id}`,
    );
    for (const r of reports) ctx.report(r);
  }
}

/** The forEach step that runs this part per item (forEach + call), if any. */
function perItemCaller(ctx: RuleContext, partId: string | undefined): string | undefined {
  if (!partId) return undefined;
  return ctx.steps.find((s) => s.step.forEach !== undefined && s.step.call === partId)?.id;
}
