/** The core pack: log, assert, wait, http (against a local server), noop. */
import { expect } from 'chai';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import core from '../../plugins/core/index.js';
import { makeCtx } from '../helpers/ctx.js';

const a = core.actions;

describe('core actions', () => {
  let server: http.Server;
  let base = '';
  const seen: { method?: string; url?: string; headers: http.IncomingHttpHeaders; body: string }[] = [];

  before(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        seen.push({ method: req.method, url: req.url, headers: req.headers, body });
        const pathname = (req.url ?? '').split('?')[0];
        if (pathname === '/slow') return void setTimeout(() => res.end('late'), 2000);
        if (pathname === '/fail') {
          res.statusCode = 500;
          return void res.end('boom');
        }
        res.setHeader('content-type', 'application/json');
        res.setHeader('set-cookie', 'session=abc');
        res.end(JSON.stringify({ ok: true, got: body ? JSON.parse(body) : null }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  it('core.http posts JSON with headers and returns status, headers (no cookies) and the parsed body', async () => {
    const out = await a.http.run(
      makeCtx(),
      { url: `${base}/hook?token=abc`, headers: { authorization: 'Bearer x' }, body: { text: 'incident' } },
      undefined,
    );
    expect(out.status).to.equal(200);
    expect(out.body).to.deep.equal({ ok: true, got: { text: 'incident' } });
    expect(out.headers).to.not.have.property('set-cookie');
    const req = seen[seen.length - 1];
    expect(req.method).to.equal('POST');
    expect(req.headers['content-type']).to.equal('application/json');
    expect(req.headers.authorization).to.equal('Bearer x');
    expect(req.headers['user-agent']).to.match(/^irun\//);
  });

  it('core.http fails on an unexpected status, on a timeout, and on a non-http URL — never leaking the query string', async () => {
    const fail = await a.http
      .run(makeCtx(), { url: `${base}/fail?token=s3cret` }, undefined)
      .catch((e: Error & { code: string }) => e);
    expect((fail as { code: string }).code).to.equal('IRUN_HTTP_STATUS');
    expect((fail as Error).message).to.not.include('s3cret');
    const slow = await a.http
      .run(makeCtx(), { url: `${base}/slow`, timeout: '100ms' }, undefined)
      .catch((e: Error & { code: string }) => e);
    expect((slow as { code: string }).code).to.equal('IRUN_TIMEOUT');
    const file = await a.http
      .run(makeCtx(), { url: 'file:///etc/passwd' }, undefined)
      .catch((e: Error & { code: string }) => e);
    expect((file as { code: string }).code).to.equal('IRUN_ACTION_INPUT');
    const expected = await a.http.run(makeCtx(), { url: `${base}/fail`, expectStatus: [500] }, undefined);
    expect(expected.status).to.equal(500);
  });

  it('core.http previews without sending, and says it cannot be undone', async () => {
    const before = seen.length;
    const plan = await a.http.preview!(makeCtx(), { url: `${base}/hook?token=abc`, body: { a: 1 } }, undefined);
    expect(plan.summary).to.equal(`POST ${base}/hook?…`);
    expect(seen.length).to.equal(before);
    expect(a.http.reversible!({ url: base }, undefined, {})).to.be.a('string');
  });

  it('core.assert passes truthy values and fails falsy ones with the message', async () => {
    expect(await a.assert.run(makeCtx(), { that: [1] }, undefined)).to.deep.equal({ ok: true });
    for (const that of [false, null, 0, '', []]) {
      const e = await a.assert
        .run(makeCtx(), { that, message: 'must be public' }, undefined)
        .catch((x: Error & { code: string }) => x);
      expect((e as { code: string }).code).to.equal('IRUN_ASSERTION');
      expect((e as Error).message).to.equal('must be public');
    }
  });

  it('core.wait sleeps and ends early when the step is aborted', async () => {
    const ctx = makeCtx();
    expect((await a.wait.run(ctx, { duration: '20ms' }, undefined)).waitedMs).to.be.greaterThanOrEqual(15);
    const started = Date.now();
    const p = a.wait.run(ctx, { duration: '10s' }, undefined);
    setTimeout(() => ctx.controller.abort(new Error('cancelled')), 20);
    await p.then(
      () => expect.fail('should abort'),
      (e: Error) => expect(e.message).to.equal('cancelled'),
    );
    expect(Date.now() - started).to.be.lessThan(5000);
    const bad = await a.wait.run(ctx, { duration: 'soon' }, undefined).catch((e: Error & { code: string }) => e);
    expect((bad as { code: string }).code).to.equal('IRUN_USAGE');
  });

  it('core.log logs at the level asked; core.noop echoes', async () => {
    const ctx = makeCtx();
    await a.log.run(ctx, { message: 'hello', level: 'warn' }, undefined);
    expect(ctx.logs).to.deep.equal([{ level: 'warn', message: 'hello', data: undefined }]);
    expect(await a.noop.run(ctx, { echo: { x: 1 } }, undefined)).to.deep.equal({ ok: true, echo: { x: 1 } });
  });
});
