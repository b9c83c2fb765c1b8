/**
 * What every validation phase and rule receives: the loaded file, a tolerant view of the
 * document (it may have failed the schema), the flow graph and `report()`.
 */
import type { Diagnostic, Severity } from '../diagnostics.js';
import { pointer } from '../diagnostics.js';
import type { Loaded } from '../load/index.js';
import type { NodePath, Part, RunbookDoc, SourceRange, Step } from '../model.js';
import { buildFlowGraph, type FlowGraph } from './flow.js';

export interface StepInfo {
  step: Step;
  /** The step id when it is a string. */
  id?: string;
  path: NodePath;
  partIndex: number;
  stepIndex: number;
  partId?: string;
}

export interface PartInfo {
  part: Part;
  id?: string;
  path: NodePath;
  index: number;
}

export interface Report {
  code: string;
  severity?: Severity;
  message: string;
  path: NodePath;
  /** Point at the key of the entry at `path` rather than its value. */
  key?: boolean;
  /** An exact range (templates: the position inside the scalar). */
  range?: SourceRange;
  suggestions?: string[];
}

export interface RuleContext {
  loaded: Loaded;
  doc: RunbookDoc;
  parts: PartInfo[];
  steps: StepInfo[];
  /** Step ids (first occurrence). */
  stepById: Map<string, StepInfo>;
  /** Part ids (first occurrence). */
  partById: Map<string, PartInfo>;
  graph: FlowGraph;
  report(r: Report): void;
}

/** A semantic rule: inspects the context and reports; never throws for bad input. */
export type Rule = (ctx: RuleContext) => void;

export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export function makeContext(loaded: Loaded, diagnostics: Diagnostic[]): RuleContext | undefined {
  const doc = loaded.doc;
  if (!isObject(doc)) return undefined;
  const parts: PartInfo[] = [];
  const steps: StepInfo[] = [];
  if (Array.isArray(doc.parts)) {
    doc.parts.forEach((part, index) => {
      if (!isObject(part)) return;
      const p = part as unknown as Part;
      const partId = typeof p.id === 'string' ? p.id : undefined;
      parts.push({ part: p, id: partId, path: ['parts', index], index });
      if (!Array.isArray(p.steps)) return;
      p.steps.forEach((step, stepIndex) => {
        if (!isObject(step)) return;
        const s = step as unknown as Step;
        steps.push({
          step: s,
          id: typeof s.id === 'string' ? s.id : undefined,
          path: ['parts', index, 'steps', stepIndex],
          partIndex: index,
          stepIndex,
          partId,
        });
      });
    });
  }
  const stepById = new Map<string, StepInfo>();
  for (const s of steps) if (s.id !== undefined && !stepById.has(s.id)) stepById.set(s.id, s);
  const partById = new Map<string, PartInfo>();
  for (const p of parts) if (p.id !== undefined && !partById.has(p.id)) partById.set(p.id, p);
  return {
    loaded,
    doc,
    parts,
    steps,
    stepById,
    partById,
    graph: buildFlowGraph(doc),
    report: (r) => diagnostics.push(toDiagnostic(loaded, r)),
  };
}

export function toDiagnostic(loaded: Loaded, r: Report): Diagnostic {
  const range = r.range ?? loaded.locate(r.path, { key: r.key });
  const d: Diagnostic = {
    code: r.code,
    severity: r.severity ?? 'error',
    message: r.message,
    file: loaded.file,
    line: range.line,
    column: range.column,
    endLine: range.endLine,
    endColumn: range.endColumn,
    path: pointer(r.path),
  };
  if (r.suggestions?.length) d.suggestions = r.suggestions;
  return d;
}

/** " (did you mean 'a' or 'b'?)" or "". */
export function didYouMean(suggestions: string[]): string {
  return suggestions.length ? ` (did you mean ${suggestions.map((s) => `'${s}'`).join(' or ')}?)` : '';
}
