/**
 * Real parsers for the authoring-command outputs: Mermaid's own flowchart parser (the `mermaid`
 * package, which needs a DOM in Node: jsdom provides one, inside a worker thread so no global leaks
 * into other tests) and Graphviz `dot` when installed.
 */
import { spawnSync } from 'node:child_process';
import { Worker } from 'node:worker_threads';

export interface MermaidVertex {
  id: string;
  text: string;
  type?: string;
  classes: string[];
}
export interface MermaidEdge {
  start: string;
  end: string;
  text: string;
  type: string;
  stroke: string;
}
export interface MermaidSubgraph {
  id: string;
  title: string;
  nodes: string[];
}
export interface ParsedFlowchart {
  type: string;
  vertices: MermaidVertex[];
  edges: MermaidEdge[];
  subgraphs: MermaidSubgraph[];
}

let worker: Worker | undefined;
let seq = 0;
const pending = new Map<number, { resolve(v: ParsedFlowchart): void; reject(e: Error): void }>();

function mermaidWorker(): Worker {
  if (!worker) {
    worker = new Worker(new URL('./mermaid-worker.mjs', import.meta.url));
    worker.on('message', (m: { id: number; ok: boolean; result?: ParsedFlowchart; error?: string }) => {
      const p = pending.get(m.id);
      pending.delete(m.id);
      if (m.ok) p?.resolve(m.result!);
      else p?.reject(new Error(m.error));
    });
    worker.on('error', (err) => {
      for (const p of pending.values()) p.reject(err);
      pending.clear();
    });
    // do not keep mocha alive
    worker.unref();
  }
  return worker;
}

/** Parse a flowchart with Mermaid's own parser; rejects with Mermaid's parse error on invalid text. */
export function parseMermaid(text: string): Promise<ParsedFlowchart> {
  const id = ++seq;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject });
    mermaidWorker().postMessage({ id, text });
  });
}

/** Undo Mermaid label encoding: numeric entity codes and line breaks. */
export function decodeMermaid(text: string): string {
  return text
    .replace(/ﬂ°°(\d+)¶ß/g, (_, n: string) => `#${n};`) // Mermaid's own entity markers
    .replace(/#(\d+);/g, (_, n: string) => String.fromCodePoint(Number(n)))
    .replace(/<br\s*\/?>/g, '\n');
}

export function hasDot(): boolean {
  return spawnSync('dot', ['-V'], { encoding: 'utf8' }).status === 0;
}

/** Run `dot -T<format>` on the text: exit status, stdout and stderr. */
export function runDot(
  text: string,
  format: 'svg' | 'json',
): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('dot', [`-T${format}`], { input: text, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
