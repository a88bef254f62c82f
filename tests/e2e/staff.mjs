// What the staff-side browser tests share: a page in Chinese, signing a member of staff in,
// clicking a form's button and waiting for the answer, reading the facts and the notices, and
// the check every page gets (axe finds nothing serious, no message key shows instead of its
// text). `staffKit(() => browser, () => server)` binds them to a test file's browser and server,
// which its `before` hook sets.
import assert from 'node:assert/strict';
import { DEMO_PASSWORD, seriousViolations } from './server.mjs';

export function staffKit(getBrowser, getServer) {
  async function newPage() {
    const context = await getBrowser().newContext({ locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
    return context.newPage();
  }

  async function staffPage(username) {
    const page = await newPage();
    const base = getServer().base;
    await page.goto(base + '/console/login');
    await page.getByLabel('用户名').fill(username);
    await page.getByLabel('密码').fill(DEMO_PASSWORD);
    await page.getByRole('button', { name: '登录' }).click();
    await page.waitForURL(base + '/console');
    return page;
  }

  return { newPage, staffPage, assertGood, button, submit, fact, notice, refusal };
}

/** axe finds nothing serious, and no message key shows instead of its text. */
export async function assertGood(page, what) {
  assert.deepEqual(await seriousViolations(page), [], `axe on ${what}`);
  const text = await page.locator('body').innerText();
  const raw = text.match(/\b(?:appeal|reason|field|error|page|punct)\.[a-z_.0-9]+/);
  assert.equal(raw, null, `untranslated key on ${what}: ${raw}`);
}

export const button = (page, name) => page.getByRole('button', { name, exact: true });

/** Clicks and waits for the page the server answers with. */
export async function submit(page, locator) {
  const [response] = await Promise.all([page.waitForNavigation(), locator.click()]);
  return response;
}

/** The value beside a term of the page's facts list. */
export function fact(page, term) {
  return page.locator('dl.facts dt', { hasText: term }).first().locator('xpath=following-sibling::dd[1]').innerText();
}

export const notice = (page) => page.locator('.notice').innerText();
export const refusal = (page) => page.locator('.error-summary').innerText();
