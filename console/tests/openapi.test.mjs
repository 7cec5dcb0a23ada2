// The served OpenAPI document passes an independent validator (@apidevtools/swagger-parser:
// the OpenAPI 3.1 schema, and every $ref resolves), and what the demo server answers matches
// the documented schemas (Ajv, JSON Schema 2020-12).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import SwaggerParser from '@apidevtools/swagger-parser';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { startServer } from './server.mjs';

let server;
before(async () => { server = await startServer({ demo: true }); });
after(async () => { await server?.stop(); });

test('GET /api/v1/openapi.json is a valid OpenAPI 3.1 document', async () => {
  const res = await fetch(`${server.base}/api/v1/openapi.json`);
  assert.equal(res.status, 200);
  const doc = await res.json();
  assert.equal(doc.openapi, '3.1.0');
  const api = await SwaggerParser.validate(structuredClone(doc));
  assert.ok(Object.keys(api.paths).length >= 45, `${Object.keys(api.paths).length} paths`);
  // the roles come from the route table: the labels are for logistics alone
  assert.deepEqual(doc.paths['/api/v1/labels'].post['x-roles'], ['logistics']);
});

test('a broken document is refused by the same validator', async () => {
  const res = await fetch(`${server.base}/api/v1/openapi.json`);
  const doc = await res.json();
  doc.paths['/api/v1/labels'].post.responses['200'].content['application/pdf'].schema = { $ref: '#/components/schemas/NoSuchThing' };
  await assert.rejects(SwaggerParser.validate(structuredClone(doc)), /NoSuchThing/);
  const wrong = await (await fetch(`${server.base}/api/v1/openapi.json`)).json();
  wrong.paths['/healthz'].get.parameters = [{ name: 'x', in: 'bogus' }];
  await assert.rejects(SwaggerParser.validate(wrong), /schema validation failed/);
});

test('the answers of the demo server match their documented schemas', async () => {
  const doc = await SwaggerParser.dereference(await (await fetch(`${server.base}/api/v1/openapi.json`)).json());
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  const { cs, modeler, logistics, channel } = server.tokens;
  const calls = [
    ['/api/v1/session', '/api/v1/session', cs],
    ['/api/v1/orders', '/api/v1/orders?limit=20', cs],
    ['/api/v1/orders', '/api/v1/orders?limit=20', channel],
    ['/api/v1/orders/{id}', '/api/v1/orders/KS00000003', cs],
    ['/api/v1/orders/{id}/overview', '/api/v1/orders/KS00000005/overview', cs],
    ['/api/v1/orders/{id}/events', '/api/v1/orders/KS00000005/events', cs],
    ['/api/v1/items/{id}', '/api/v1/items/1', modeler],
    ['/api/v1/items/{id}/jobs', '/api/v1/items/1/jobs', modeler],
    ['/api/v1/review/queue', '/api/v1/review/queue', modeler],
    ['/api/v1/packing/queue', '/api/v1/packing/queue', logistics],
    ['/api/v1/shipments/stuck', '/api/v1/shipments/stuck', logistics],
    ['/api/v1/orders/{id}/shipments', '/api/v1/orders/KS00000003/shipments', logistics],
    ['/api/v1/tickets', '/api/v1/tickets?state=all', cs],
    ['/api/v1/state-machines', '/api/v1/state-machines', cs],
  ];
  for (const [template, path, token] of calls) {
    const answer = await fetch(server.base + path, { headers: { Authorization: `Bearer ${token}` } });
    assert.equal(answer.status, 200, path);
    const schema = doc.paths[template].get.responses['200'].content['application/json'].schema;
    const validate = ajv.compile(schema);
    const body = await answer.json();
    assert.ok(validate(body), `${path}: ${ajv.errorsText(validate.errors)}`);
  }
  // and the check can fail: an order without its number is not an Order
  const order = doc.paths['/api/v1/orders/{id}'].get.responses['200'].content['application/json'].schema;
  const broken = await (await fetch(`${server.base}/api/v1/orders/KS00000003`, { headers: { Authorization: `Bearer ${cs}` } })).json();
  delete broken.number;
  assert.equal(ajv.compile(order)(broken), false);
});
