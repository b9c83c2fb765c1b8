// Parses Mermaid text in a worker thread, so the DOM that Mermaid needs in Node (jsdom's window,
// for DOMPurify) never leaks into the test process's globals. Messages: { id, text } in,
// { id, ok, result | error } out.
import { parentPort } from 'node:worker_threads';
import { JSDOM } from 'jsdom';

const dom = new JSDOM('<!doctype html><html><body></body></html>');
globalThis.window = dom.window;
globalThis.document = dom.window.document;
const { default: mermaid } = await import('mermaid');

parentPort.on('message', async ({ id, text }) => {
  try {
    await mermaid.parse(text);
    const diagram = await mermaid.mermaidAPI.getDiagramFromText(text);
    const db = diagram.db;
    const vertices = db.getVertices();
    const pick = (o, keys) => Object.fromEntries(keys.map((k) => [k, o[k]]));
    parentPort.postMessage({
      id,
      ok: true,
      result: {
        type: diagram.type,
        vertices: (vertices instanceof Map ? [...vertices.values()] : Object.values(vertices)).map((v) =>
          pick(v, ['id', 'text', 'type', 'classes']),
        ),
        edges: db.getEdges().map((e) => pick(e, ['start', 'end', 'text', 'type', 'stroke'])),
        subgraphs: db.getSubGraphs().map((s) => pick(s, ['id', 'title', 'nodes'])),
      },
    });
  } catch (err) {
    parentPort.postMessage({ id, ok: false, error: String(err?.message ?? err) });
  }
});
