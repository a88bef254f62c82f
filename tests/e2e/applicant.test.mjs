// An applicant signs in with the code that the SMS (the demo's log sink) carries.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, seriousViolations } from './server.mjs';

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

test('an enterprise clerk signs in with the SMS code and sees the enterprise', async () => {
  const context = await browser.newContext({ locale: 'zh-CN' });
  const page = await context.newPage();
  await page.goto(server.base + '/signin');
  assert.deepEqual(await seriousViolations(page), []);
  const seen = server.smsCount();
  await page.getByLabel('手机号码').fill('13804110003');
  await page.getByRole('button', { name: '获取验证码' }).click();
  assert.match(await page.locator('main').innerText(), /验证码已发送至 138\*\*\*\*0003/);
  const code = await server.nextSmsCode(seen);
  await page.getByLabel('短信验证码（6 位数字）').fill(code);
  await page.getByRole('button', { name: '登录' }).click();
  await page.waitForURL(server.base + '/me');
  assert.match(await page.locator('h1').innerText(), /张伟/);
  assert.match(await page.locator('main').innerText(), /大连星海智能科技有限公司/);
  assert.match(await page.locator('main').innerText(), /\*{8}/, 'the ID number is masked');
  assert.deepEqual(await seriousViolations(page), []);
  await page.getByRole('button', { name: '退出登录' }).click();
  await page.waitForURL(server.base + '/signin');
  await context.close();
});

test('a wrong code is said next to the form', async () => {
  const context = await browser.newContext({ locale: 'zh-CN' });
  const page = await context.newPage();
  await page.goto(server.base + '/signin');
  await page.getByLabel('手机号码').fill('13904110002');
  await page.getByRole('button', { name: '获取验证码' }).click();
  await page.getByLabel('短信验证码（6 位数字）').fill('000000');
  await page.getByRole('button', { name: '登录' }).click();
  assert.match(await page.getByRole('alert').innerText(), /验证码错误/);
  await context.close();
});
