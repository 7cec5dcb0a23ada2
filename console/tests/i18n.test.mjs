// Chinese is the console's default language: every label the pages ask for with a literal
// t('...') has a Chinese entry. (States and event names go through t(variable) and fall back
// to the English name where the dictionary lacks one.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const app = join(dirname(fileURLToPath(import.meta.url)), '..', 'app');
const sources = readdirSync(app).filter((f) => f.endsWith('.js') && f !== 'i18n.js')
  .map((f) => readFileSync(join(app, f), 'utf8')).join('\n');
// i18n.js is a browser module; its dictionary is read as data here
const dictionary = readFileSync(join(app, 'i18n.js'), 'utf8');
const zh = new Map([...dictionary.matchAll(/^ {2}'((?:[^'\\]|\\.)+)': '((?:[^'\\]|\\.)*)',$/gm)].map((m) => [m[1].replace(/\\'/g, "'"), m[2]]));

test('every literal label has a Chinese translation', () => {
  const asked = new Set([...sources.matchAll(/\bt\('((?:[^'\\]|\\.)+)'\)/g)].map((m) => m[1].replace(/\\'/g, "'")));
  assert.ok(asked.size > 80, `${asked.size} labels found`);
  const missing = [...asked].filter((key) => !zh.has(key));
  assert.deepEqual(missing, []);
  for (const [key, value] of zh) assert.ok(value.trim(), `empty translation for ${key}`);
});

test('every finding and warning code the server writes is worded in both languages', () => {
  const root = join(app, '..', '..');
  const mesh = readFileSync(join(root, 'services/src/jobs/mesh_command.cpp'), 'utf8');
  const imaging = join(root, 'imaging/src');
  const print = readdirSync(imaging).filter((f) => f.endsWith('.cpp')).map((f) => readFileSync(join(imaging, f), 'utf8')).join('\n');
  const codes = new Set([
    ...[...mesh.matchAll(/\{"code", "(\w+)"\}/g)].map((m) => m[1]),
    ...[...print.matchAll(/warnings\.push_back\(\s*\{"(\w+)"/g)].map((m) => m[1]),
  ]);
  assert.ok(codes.size >= 12, `${codes.size} codes found: ${[...codes]}`);
  const table = dictionary.slice(dictionary.indexOf('export const notices'));
  for (const code of codes) {
    const row = table.match(new RegExp(`^ {2}${code}: \\['((?:[^'\\\\]|\\\\.)+)', '((?:[^'\\\\]|\\\\.)+)'\\],$`, 'm'));
    assert.ok(row, `no wording for ${code}`);
    assert.match(row[2], /[\u4e00-\u9fff]/, `${code} has no Chinese`);
    // the same values in both languages
    const names = (text) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort().join();
    assert.equal(names(row[1]), names(row[2]), code);
  }
});
