// Starts the real `zhengwu` binary on a fresh data directory and port 0, and stops it.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';
import AxeBuilder from '@axe-core/playwright';

const root = resolve(import.meta.dirname, '../..');

/** The demo accounts' password in the browser tests. */
export const DEMO_PASSWORD = 'e2e-demo-password-2026';

/** The binary to test: $ZHENGWU_BIN, else the debug build in the cargo target directory. */
export function binary() {
  if (process.env.ZHENGWU_BIN) return process.env.ZHENGWU_BIN;
  const target = process.env.CARGO_TARGET_DIR || join(root, 'target');
  return join(target, 'debug', 'zhengwu');
}

export async function startServer(extraArgs = []) {
  const dataDir = mkdtempSync(join(tmpdir(), 'zhengwu-e2e-'));
  const child = spawn(binary(), ['serve', '--listen', '127.0.0.1:0', '--data-dir', dataDir, ...extraArgs], {
    env: {
      ...process.env,
      // The log sink's lines carry the demo's SMS codes.
      RUST_LOG: process.env.RUST_LOG || 'warn,zhengwu::notify=info',
      ZHENGWU_DEMO_PASSWORD: DEMO_PASSWORD,
      // The demo year of appeals is left out: the pages are tested on the appeals the tests
      // take in (ZHENGWU_DEMO_APPEALS=N in the environment puts it back).
      ZHENGWU_DEMO_APPEALS: process.env.ZHENGWU_DEMO_APPEALS || '0',
      // Likewise the demo's cases: the tests make their own.
      ZHENGWU_DEMO_CASES: process.env.ZHENGWU_DEMO_CASES || '0',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const smsCodes = [];
  createInterface({ input: child.stderr }).on('line', (line) => {
    const m = line.match(/sms\.sign_in_code.*"code":"(\d{6})"/);
    if (m) smsCodes.push(m[1]);
    else if (!line.includes('zhengwu::notify')) process.stderr.write(line + '\n');
  });
  const lines = createInterface({ input: child.stdout });
  const base = await new Promise((resolveBase, reject) => {
    const timer = setTimeout(() => reject(new Error('zhengwu did not start in 60 s')), 60_000);
    child.on('exit', (code) => reject(new Error(`zhengwu exited with ${code}`)));
    lines.on('line', (line) => {
      const m = line.match(/^listening on (http:\/\/\S+)/);
      if (m) {
        clearTimeout(timer);
        resolveBase(m[1]);
      }
    });
  });
  return {
    base,
    /** The next SMS code that the log sink shows (waits up to 10 s). */
    async nextSmsCode(seen = smsCodes.length) {
      for (let i = 0; i < 200 && smsCodes.length <= seen; i++) await new Promise((r) => setTimeout(r, 50));
      if (smsCodes.length <= seen) throw new Error('no SMS code in the log');
      return smsCodes[smsCodes.length - 1];
    },
    smsCount: () => smsCodes.length,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** axe's serious and critical violations on the page, one line each (none is the goal). */
export async function seriousViolations(page) {
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.help} (${v.nodes.length})`);
}
