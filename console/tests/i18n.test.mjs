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
