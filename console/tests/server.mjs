// Starts a real `keepsake serve --demo` on loopback in a fresh data directory and gives its
// base URL, the demo tokens (for the API) and the demo staff accounts (for the console). KEEPSAKE_BINARY names the binary (CTest sets it).
import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export async function startServer({ demo = true, args: extra = [] } = {}) {
  const binary = process.env.KEEPSAKE_BINARY;
  if (!binary) throw new Error('KEEPSAKE_BINARY is not set (run through ctest, or set it to build/keepsake)');
  const dir = mkdtempSync(join(tmpdir(), 'keepsake-console-'));
  const portFile = join(dir, 'port');
  const args = ['serve', '--data', join(dir, 'data'), '--listen', '127.0.0.1:0', '--port-file', portFile];
  if (demo) args.push('--demo');
  args.push(...extra);
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => { stdout += d; });
  child.stderr.on('data', (d) => { stderr += d; });
  const deadline = Date.now() + 180_000;
  // the port file is written after the welcome; the welcome (and the demo's tokens and
  // accounts before it) may reach this end of the pipe a moment after the file exists
  while (!existsSync(portFile) || !readFileSync(portFile, 'utf8').trim() || !stdout.includes('Keepsake is serving on')) {
    if (child.exitCode !== null) throw new Error(`keepsake serve exited ${child.exitCode}: ${stderr.slice(-2000)}`);
    if (Date.now() > deadline) throw new Error('keepsake serve did not start in 180 s');
    await new Promise((r) => setTimeout(r, 100));
  }
  const port = readFileSync(portFile, 'utf8').trim();
  const tokens = {};
  for (const m of stdout.matchAll(/^\s+(\w+)\t(ks_[0-9a-f]+)$/gm)) tokens[m[1]] = m[2];
  const accounts = {};
  for (const m of stdout.matchAll(/^\s+demo-(\w+)\tpassword (\S+)\tsecret ([A-Z2-7]+)$/gm)) {
    accounts[m[1]] = { name: `demo-${m[1]}`, password: m[2], secret: m[3] };
  }
  const base = `http://127.0.0.1:${port}`;
  const api = async (method, path, token, body, headers = {}) => {
    const init = { method, headers: { Authorization: `Bearer ${token}`, ...headers } };
    if (body !== undefined) {
      if (body instanceof Uint8Array) {
        init.body = body;
      } else {
        init.headers['Content-Type'] = 'application/json';
        init.body = JSON.stringify(body);
      }
    }
    const res = await fetch(base + path, init);
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return text ? JSON.parse(text) : null;
  };
  return {
    base,
    data: join(dir, 'data'),
    tokens,
    accounts,
    api,
    log: () => stderr,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r() : child.on('exit', r)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function waitFor(what, fn, ms = 60_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

// The RFC 6238 code of a base32 secret (HMAC-SHA1, 30 s, 6 digits): written here from the RFC,
// apart from the server's, so a test signs in as an authenticator app would.
export function totp(secret, at = Date.now()) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const bytes = [];
  let bits = 0;
  let value = 0;
  for (const c of secret) {
    value = ((value << 5) | alphabet.indexOf(c)) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      bytes.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(at / 30000)));
  const mac = createHmac('sha1', Buffer.from(bytes)).update(counter).digest();
  const o = mac[mac.length - 1] & 0xf;
  const n = (((mac[o] & 0x7f) << 24) | (mac[o + 1] << 16) | (mac[o + 2] << 8) | mac[o + 3]) % 1e6;
  return String(n).padStart(6, '0');
}
