/**
 * `irun graph`: the runbook's flow as a Mermaid or Graphviz DOT flowchart.
 *
 * Parts are subgraphs (clusters), each step a node labelled with its ref, title and id; shapes and
 * classes tell manual steps, reads, changes (mutating actions), calls, branches and ends apart.
 * Conditional edges carry their (shortened) condition, calls and returns are dashed, and the
 * edges that close a loop are drawn bold and marked. Every label is escaped for its format: text
 * from the runbook is data, never diagram syntax. Pure: document in, text out.
 */
import type { RunbookDoc, Step } from '../model.js';
import { stepKind } from '../model.js';
import type { Effect } from '../plugins/api.js';
import { buildFlowGraph, cycles, type FlowEdge } from '../validate/flow.js';

export type GraphFormat = 'mermaid' | 'dot';

export const GRAPH_FORMATS: readonly GraphFormat[] = ['mermaid', 'dot'];

export interface GraphOptions {
  format: GraphFormat;
  /** Effect of each action id the runbook uses (from the registry); unknown ids are drawn as reads. */
  effects?: ReadonlyMap<string, Effect> | Record<string, Effect>;
  /** Longest condition shown on an edge before it is cut with "…" (default 48). */
  maxCondition?: number;
}

/** How a node is drawn. */
export type NodeClass = 'manual' | 'read' | 'mutate' | 'call' | 'branch' | 'control' | 'end';

interface GNode {
  key: string;
  stepId: string;
  lines: string[];
  cls: NodeClass;
}

type EdgeStyle = 'solid' | 'dashed' | 'dotted';

interface GEdge {
  from: string;
  to: string;
  label?: string;
  style: EdgeStyle;
  loop: boolean;
}

interface GCluster {
  key: string;
  title: string;
  nodes: GNode[];
}

interface Model {
  title: string;
  clusters: GCluster[];
  edges: GEdge[];
}

/** A condition as it reads on an edge: without the braces, on one line, cut to `max`. */
export function shortCondition(cond: unknown, max = 48): string {
  let text = typeof cond === 'string' ? cond : (JSON.stringify(cond) ?? String(cond));
  const m = /^\s*\{\{~?\s*([\s\S]*?)\s*~?\}\}\s*$/.exec(text);
  if (m && !m[1].includes('{{')) text = m[1];
  text = text.replace(/\s+/g, ' ').trim();
  return text.length > max ? `${[...text].slice(0, max - 1).join('')}…` : text;
}

const effectOf = (effects: GraphOptions['effects'], id: string): Effect | undefined => {
  if (!effects) return undefined;
  if (effects instanceof Map) return effects.get(id);
  return (effects as Record<string, Effect>)[id];
};

function nodeClass(step: Step, effects: GraphOptions['effects']): NodeClass {
  const kind = stepKind(step);
  switch (kind) {
    case 'manual':
      return 'manual';
    case 'action':
    case 'forEach':
      if (typeof step.action === 'string') return effectOf(effects, step.action) === 'mutate' ? 'mutate' : 'read';
      return 'call';
    case 'call':
      return 'call';
    case 'branch':
      return 'branch';
    case 'end':
      return 'end';
    default:
      return 'control';
  }
}

function nodeLines(step: Step, cls: NodeClass, max: number): string[] {
  const head = [
    typeof step.ref === 'string' && step.ref ? step.ref : '',
    typeof step.title === 'string' ? step.title : '',
  ]
    .filter(Boolean)
    .join(' · ');
  const lines: string[] = [];
  if (head) lines.push(head);
  lines.push(step.id);
  const kind = stepKind(step);
  const detail: string[] = [];
  if (step.forEach !== undefined) detail.push(`for each ${shortCondition(step.forEach, max)}`);
  if (typeof step.action === 'string')
    detail.push(
      cls === 'mutate' ? `${step.action} (changes, approval${step.approve === 'auto' ? ' auto' : ''})` : step.action,
    );
  else if (kind === 'manual') detail.push(step.manual?.ask ? `manual · ask ${step.manual.ask.type}` : 'manual');
  else if (kind === 'call') detail.push(`call ${String(step.call)}`);
  else if (step.forEach !== undefined && step.call !== undefined) detail.push(`call ${String(step.call)}`);
  else if (kind === 'set') detail.push(`set ${Object.keys(step.set ?? {}).join(', ')}`);
  else if (kind === 'end') detail.push(`end: ${step.end?.status ?? ''}`);
  else if (kind === 'goto') detail.push(`goto ${String(step.goto)}`);
  else if (kind === 'branch') detail.push('branch');
  if (detail.length) lines.push(detail.join(' · '));
  if (step.if !== undefined && step.if !== true) lines.push(`if ${shortCondition(step.if, max)}`);
  return lines;
}

/** Build the drawing model shared by both formats. */
function model(doc: RunbookDoc, options: GraphOptions): Model {
  const max = options.maxCondition ?? 48;
  const graph = buildFlowGraph(doc);
  const key = new Map<string, string>(); // step id -> node key (generated: step ids can clash with keywords)
  const clusters: GCluster[] = [];
  const parts = Array.isArray(doc.parts) ? doc.parts : [];
  parts.forEach((part, pi) => {
    const cluster: GCluster = {
      key: `p${pi}`,
      title: typeof part.title === 'string' && part.title ? part.title : String(part.id),
      nodes: [],
    };
    for (const node of graph.nodes.values()) {
      if (node.partIndex !== pi) continue;
      const k = `s${key.size}`;
      key.set(node.id, k);
      const cls = nodeClass(node.step, options.effects);
      cluster.nodes.push({ key: k, stepId: node.id, lines: nodeLines(node.step, cls, max), cls });
    }
    if (cluster.nodes.length) clusters.push(cluster);
  });

  // Edges that close a loop: inside a cycle, going back (or staying) in document order.
  const order = new Map([...graph.nodes.keys()].map((id, i) => [id, i]));
  const cycleOf = new Map<string, number>();
  cycles(graph).forEach((c, i) => c.forEach((id) => cycleOf.set(id, i)));
  const isLoop = (e: FlowEdge) =>
    cycleOf.has(e.from) && cycleOf.get(e.from) === cycleOf.get(e.to) && order.get(e.to)! <= order.get(e.from)!;

  const edges: GEdge[] = [];
  const nextTarget = new Map<string, string>();
  for (const e of graph.edges) if (e.label === 'next') nextTarget.set(e.from, e.to);
  for (const e of graph.edges) {
    const from = key.get(e.from);
    const to = key.get(e.to);
    if (!from || !to) continue;
    const step = graph.nodes.get(e.from)!.step;
    const cond = step.if !== undefined && step.if !== true ? shortCondition(step.if, max) : undefined;
    let label: string | undefined;
    let style: EdgeStyle = 'solid';
    if (e.label === 'next') label = undefined;
    else if (e.label === 'if-false') {
      // a skipped step that goes where it would have gone anyway needs no second arrow
      if (nextTarget.get(e.from) === e.to) continue;
      label = `if not ${cond ?? ''}`.trim();
    } else if (e.label === 'goto') label = cond ? `if ${cond}` : 'goto';
    else if (e.label === 'call') {
      style = 'dashed';
      label = cond ? `call if ${cond}` : 'call';
      if (step.forEach !== undefined) label = `call for each ${shortCondition(step.forEach, max)}`;
    } else if (e.label === 'return') {
      style = 'dashed';
      label = 'return';
    } else if (e.label === 'error') {
      style = 'dotted';
      label = 'on error';
    } else if (e.label === 'branch:default') label = 'otherwise';
    else if (e.label.startsWith('branch:')) {
      const c = e.label.slice('branch:'.length);
      const isCall = (step.branch ?? []).some(
        (bc) =>
          bc &&
          typeof bc === 'object' &&
          String(bc.if) === c &&
          bc.call !== undefined &&
          graph.partEntry.get(String(bc.call)) === e.to,
      );
      label = `${isCall ? 'call if ' : ''}${shortCondition(c, max)}`;
      if (isCall) style = 'dashed';
    }
    const loop = isLoop(e);
    if (loop) {
      const visits = graph.nodes.get(e.to)!.step.maxVisits ?? 3;
      label = `${label ? `${label} · ` : ''}loop, max ${visits} visits`;
    }
    edges.push({ from, to, label, style, loop });
  }
  const title = typeof doc.title === 'string' ? doc.title : String(doc.id ?? 'runbook');
  return { title, clusters, edges };
}

/** Render the flowchart of a runbook. */
export function renderGraph(doc: RunbookDoc, options: GraphOptions): string {
  const m = model(doc, options);
  return options.format === 'dot' ? dot(m) : mermaid(m);
}

// ---------------------------------------------------------------------------------- Mermaid

/**
 * Text inside a quoted Mermaid label. Mermaid ends the string at `"`, reads `#name;` as an entity,
 * `<...>` as HTML, and `|`, brackets and `;` as syntax in places; all of them become numeric
 * entity codes (`#34;`), which Mermaid decodes when drawing. Colons too: Mermaid rewrites any line
 * that looks like `style …:…#…;` before parsing, labels included. Line breaks become spaces; control
 * characters are dropped; other unicode passes as is.
 */
export function mermaidText(s: string): string {
  return s
    .replace(/[\r\n\t]+/g, ' ')
    .replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, '')
    .replace(/[#"<>&|`[\]{}();:\\]/g, (c) => `#${c.charCodeAt(0)};`);
}

const MERMAID_SHAPES: Record<NodeClass, [string, string]> = {
  manual: ['[/', '/]'],
  read: ['[', ']'],
  mutate: ['{{', '}}'],
  call: ['[[', ']]'],
  branch: ['{', '}'],
  control: ['(', ')'],
  end: ['([', '])'],
};

const MERMAID_CLASSES: Record<NodeClass, string> = {
  manual: 'fill:#fff4d6,stroke:#b7950b,color:#000',
  read: 'fill:#e3f2fd,stroke:#1e88e5,color:#000',
  mutate: 'fill:#fdecea,stroke:#c0392b,stroke-width:2px,color:#000',
  call: 'fill:#ede7f6,stroke:#5e35b1,color:#000',
  branch: 'fill:#f5f5f5,stroke:#616161,color:#000',
  control: 'fill:#fafafa,stroke:#9e9e9e,color:#000',
  end: 'fill:#e8f5e9,stroke:#2e7d32,color:#000',
};

function mermaid(m: Model): string {
  const out: string[] = [];
  // front matter is YAML: a JSON string is a valid YAML scalar whatever the title holds
  out.push('---', `title: ${JSON.stringify(m.title.replace(/[\r\n\t]+/g, ' '))}`, '---');
  out.push('flowchart TD');
  for (const c of m.clusters) {
    out.push(`  subgraph ${c.key}["${mermaidText(c.title)}"]`);
    out.push('    direction TB');
    for (const n of c.nodes) {
      const [open, close] = MERMAID_SHAPES[n.cls];
      out.push(`    ${n.key}${open}"${n.lines.map(mermaidText).join('<br/>')}"${close}`);
    }
    out.push('  end');
  }
  m.edges.forEach((e) => {
    const arrow = e.loop ? '==>' : e.style === 'solid' ? '-->' : '-.->';
    out.push(`  ${e.from} ${arrow}${e.label ? `|"${mermaidText(e.label)}"|` : ''} ${e.to}`);
  });
  // class names are prefixed: `end` and friends are Mermaid keywords
  for (const [cls, style] of Object.entries(MERMAID_CLASSES)) out.push(`  classDef irun-${cls} ${style}`);
  const byClass = new Map<NodeClass, string[]>();
  for (const c of m.clusters) for (const n of c.nodes) byClass.set(n.cls, [...(byClass.get(n.cls) ?? []), n.key]);
  for (const [cls, keys] of byClass) out.push(`  class ${keys.join(',')} irun-${cls}`);
  const loops = m.edges.map((e, i) => (e.loop ? i : -1)).filter((i) => i >= 0);
  const errors = m.edges.map((e, i) => (e.style === 'dotted' && !e.loop ? i : -1)).filter((i) => i >= 0);
  if (loops.length) out.push(`  linkStyle ${loops.join(',')} stroke:#c0392b,stroke-width:2px`);
  if (errors.length) out.push(`  linkStyle ${errors.join(',')} stroke:#e67e22,stroke-dasharray:2 3`);
  return out.join('\n') + '\n';
}

// ---------------------------------------------------------------------------------- DOT

/**
 * Text inside a double-quoted DOT string used as a label: backslashes are doubled (Graphviz
 * reads `\l`, `\N`, ... in labels), quotes escaped, line breaks turned into centred breaks;
 * control characters are dropped. `<`, `>`, `|` and braces are plain text in a quoted,
 * non-record label.
 */
export function dotText(s: string): string {
  return s
    .replace(/[\u0000-\u0009\u000b-\u001f\u007f\u2028\u2029]/g, '')
    .replace(/\\/g, '\\\\')
    .replace(/"/g, '\\"')
    .replace(/\r?\n/g, '\\n');
}

const DOT_NODES: Record<NodeClass, string> = {
  manual: 'shape=parallelogram, style="filled", fillcolor="#fff4d6", color="#b7950b"',
  read: 'shape=box, style="rounded,filled", fillcolor="#e3f2fd", color="#1e88e5"',
  mutate: 'shape=hexagon, style="filled,bold", fillcolor="#fdecea", color="#c0392b", penwidth=2',
  call: 'shape=box, peripheries=2, style="filled", fillcolor="#ede7f6", color="#5e35b1"',
  branch: 'shape=diamond, style="filled", fillcolor="#f5f5f5", color="#616161"',
  control: 'shape=box, style="rounded,filled,dashed", fillcolor="#fafafa", color="#9e9e9e"',
  end: 'shape=doubleoctagon, style="filled", fillcolor="#e8f5e9", color="#2e7d32"',
};

function dot(m: Model): string {
  const out: string[] = [];
  out.push(`digraph "runbook" {`);
  out.push(`  graph [label="${dotText(m.title)}", labelloc=t, fontname="Helvetica", rankdir=TB, compound=true];`);
  out.push('  node [fontname="Helvetica", fontsize=10];');
  out.push('  edge [fontname="Helvetica", fontsize=9];');
  m.clusters.forEach((c) => {
    out.push(`  subgraph "cluster_${c.key}" {`);
    out.push(`    label="${dotText(c.title)}"; style="rounded"; color="#90a4ae";`);
    for (const n of c.nodes) out.push(`    ${n.key} [label="${dotText(n.lines.join('\n'))}", ${DOT_NODES[n.cls]}];`);
    out.push('  }');
  });
  for (const e of m.edges) {
    const attrs: string[] = [];
    if (e.label) attrs.push(`label="${dotText(e.label)}"`);
    if (e.style !== 'solid') attrs.push(`style=${e.style}`);
    if (e.style === 'dotted') attrs.push('color="#e67e22"');
    if (e.loop) attrs.push('color="#c0392b"', 'penwidth=2', 'constraint=false');
    out.push(`  ${e.from} -> ${e.to}${attrs.length ? ` [${attrs.join(', ')}]` : ''};`);
  }
  out.push('}');
  return out.join('\n') + '\n';
}
