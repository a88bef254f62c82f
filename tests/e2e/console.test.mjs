// The staff console in a real browser: login, wrong password, locked account, language,
// logout, the audit trail; accessibility of every page (axe: no serious or critical issue).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, DEMO_PASSWORD, seriousViolations } from './server.mjs';

let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

async function newPage(options = { locale: 'zh-CN' }) {
  const context = await browser.newContext(options);
  return context.newPage();
}

async function logIn(page, username, password) {
  await page.goto(server.base + '/console/login');
  await page.getByLabel('用户名').fill(username);
  await page.getByLabel('密码').fill(password);
  await page.getByRole('button', { name: '登录' }).click();
}

test('a clerk logs in, sees what the role can do, and logs out', async () => {
  const page = await newPage();
  await logIn(page, 'clerk.a01', DEMO_PASSWORD);
  await page.waitForURL(server.base + '/console');
  assert.match(await page.locator('h1').innerText(), /李娜/);
  assert.match(await page.locator('.card').first().innerText(), /窗口工作人员/);
  assert.equal(await page.getByRole('link', { name: '审计日志' }).count(), 0, 'a clerk has no audit link');
  assert.deepEqual(await seriousViolations(page), []);
  await page.getByRole('button', { name: '退出登录' }).click();
  await page.waitForURL(server.base + '/console/login');
  await page.goto(server.base + '/console');
  await page.waitForURL(server.base + '/console/login');
  await page.context().close();
});

test('a wrong password is reported next to the form', async () => {
  const page = await newPage();
  await logIn(page, 'admin', 'not-the-password');
  const alert = page.getByRole('alert');
  assert.match(await alert.innerText(), /用户名或密码错误/);
  assert.equal(await page.getByLabel('用户名').inputValue(), 'admin', 'the username is kept');
  assert.deepEqual(await seriousViolations(page), []);
  await page.context().close();
});

test('five failures lock the account, even for the right password', async () => {
  const page = await newPage();
  for (let i = 0; i < 5; i++) await logIn(page, 'station.ls01', 'wrong-password-' + i);
  assert.match(await page.getByRole('alert').innerText(), /账号已锁定/);
  await logIn(page, 'station.ls01', DEMO_PASSWORD);
  assert.match(await page.getByRole('alert').innerText(), /账号已锁定/);
  await page.context().close();
});

test('the login page speaks English after the switch', async () => {
  const page = await newPage();
  await page.goto(server.base + '/console/login');
  await page.getByRole('link', { name: 'English' }).click();
  assert.equal(await page.locator('h1').innerText(), 'Staff sign-in');
  assert.equal(await page.getByLabel('Username').count(), 1);
  assert.deepEqual(await seriousViolations(page), []);
  await page.context().close();
});

test('an administrator searches the audit trail', async () => {
  const page = await newPage();
  await logIn(page, 'admin', DEMO_PASSWORD);
  await page.waitForURL(server.base + '/console');
  await page.getByRole('link', { name: '审计日志' }).click();
  await page.getByLabel('操作人（用户名）').fill('admin');
  await page.getByRole('button', { name: '查询' }).click();
  const rows = page.locator('tbody tr');
  assert.ok((await rows.count()) >= 1);
  assert.match(await rows.first().innerText(), /session\.login/);
  assert.deepEqual(await seriousViolations(page), []);
  await page.context().close();
});

test('a leader reads the dashboard', async () => {
  const page = await newPage();
  await logIn(page, 'leader', DEMO_PASSWORD);
  await page.waitForURL(server.base + '/console');
  await page.goto(server.base + '/dashboard');
  const figures = page.locator('.figure');
  assert.ok((await figures.count()) >= 5);
  assert.match(await page.locator('main').innerText(), /46/);
  assert.deepEqual(await seriousViolations(page), []);
  await page.context().close();
});

test('a window clerk sees a resident masked, and in full only after asking', async () => {
  const page = await newPage();
  await logIn(page, 'clerk.hall', DEMO_PASSWORD);
  await page.waitForURL(server.base + '/console');
  await page.getByRole('link', { name: '群众档案' }).click();
  const firstRow = page.locator('tbody tr').first();
  assert.match(await firstRow.innerText(), /\*{8}/, 'masked in the list');
  await firstRow.getByRole('link').click();
  assert.match(await page.locator('dl').innerText(), /\*{8}/, 'masked on the detail page');
  assert.deepEqual(await seriousViolations(page), []);
  await page.getByRole('button', { name: '显示完整信息' }).click();
  const facts = await page.locator('dl').innerText();
  assert.doesNotMatch(facts, /\*{8}/, 'shown in full after asking');
  assert.match(facts, /\d{17}[\dX]/);
  await page.context().close();
});
