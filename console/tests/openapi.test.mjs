// The served OpenAPI document passes an independent validator (@apidevtools/swagger-parser:
// the OpenAPI 3.1 schema, and every $ref resolves).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import SwaggerParser from '@apidevtools/swagger-parser';
import { startServer } from './server.mjs';

let server;
before(async () => { server = await startServer({ demo: false }); });
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
