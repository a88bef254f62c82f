// The public portal's home page in a real browser: content, language switch, keyboard
// access, accessibility (axe: no serious or critical violations), error page.
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

// A page in its own context (axe needs one made with browser.newContext()).
async function newPage(options = {}) {
  const context = await browser.newContext(options);
  return context.newPage();
}

test('the home page shows the demo district in Chinese', async () => {
  const page = await newPage({ locale: 'zh-CN' });
  await page.goto(server.base + '/');
  assert.equal(await page.getAttribute('html', 'lang'), 'zh-CN');
  assert.match(await page.locator('h1').innerText(), /大连高新技术产业园区/);
  assert.equal(await page.locator('.card').count(), 4, 'four halls');
  assert.match(await page.locator('#stations-h + p').innerText(), /46 个驿站/);
  await page.context().close();
});

test('an English-speaking browser gets English first', async () => {
  const page = await newPage({ locale: 'en-US' });
  await page.goto(server.base + '/');
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
  await page.context().close();
});

test('the language switch changes the page and is remembered', async () => {
  const page = await newPage({ locale: 'zh-CN' });
  await page.goto(server.base + '/');
  await page.getByRole('link', { name: 'English' }).click();
  await page.waitForURL(/lang=en/);
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
  await page.goto(server.base + '/');
  assert.equal(await page.getAttribute('html', 'lang'), 'en', 'remembered by cookie');
  assert.match(await page.locator('#stations-h').innerText(), /Community service stations/);
  await page.context().close();
});

test('the skip link is the first stop of the keyboard', async () => {
  const page = await newPage();
  await page.goto(server.base + '/');
  await page.keyboard.press('Tab');
  const focused = await page.evaluate(() => document.activeElement?.getAttribute('href'));
  assert.equal(focused, '#main');
  await page.context().close();
});

test('the home and error pages have no serious accessibility violations', async () => {
  const page = await newPage();
  for (const path of ['/', '/?lang=en', '/no-such-page', '/kiosk', '/kiosk/hours', '/kiosk?lang=en']) {
    await page.goto(server.base + path);
    assert.deepEqual(await seriousViolations(page), [], path);
  }
  await page.context().close();
});

test('an unknown page says so in the user language with a way back', async () => {
  const page = await newPage({ locale: 'zh-CN' });
  const res = await page.goto(server.base + '/no-such-page');
  assert.equal(res.status(), 404);
  assert.match(await page.locator('h1').innerText(), /404/);
  await page.getByRole('link', { name: '返回首页' }).click();
  await page.waitForURL(server.base + '/');
  await page.context().close();
});

test('the kiosk has large targets, at most six choices and a way home', async () => {
  const page = await newPage({ locale: 'zh-CN' });
  await page.goto(server.base + '/kiosk');
  const choices = page.locator('.kiosk-choice');
  const n = await choices.count();
  assert.ok(n >= 1 && n <= 6, `${n} choices`);
  for (let i = 0; i < n; i++) {
    const box = await choices.nth(i).boundingBox();
    assert.ok(box.height >= 64 && box.width >= 64, 'touch targets of 64 px at least');
  }
  await page.locator('.kiosk-choice[href="/kiosk/hours"]').click();
  await page.waitForURL(server.base + '/kiosk/hours');
  assert.equal(await page.locator('.kiosk-list li').count(), 4, 'four halls');
  await page.getByRole('link', { name: '返回首页' }).click();
  await page.waitForURL(server.base + '/kiosk');
  await page.context().close();
});

test('a hall display board is readable across the room', async () => {
  const halls = await (await fetch(server.base + '/api/v1/units?kind=hall')).json();
  const page = await newPage({ locale: 'zh-CN' });
  const res = await page.goto(`${server.base}/board/${halls[0].id}`);
  assert.equal(res.status(), 200);
  assert.equal(await page.locator('h1').innerText(), halls[0].name);
  assert.match(await page.locator('#clock').innerText(), /^\d\d:\d\d:\d\d$/);
  assert.deepEqual(await seriousViolations(page), []);
  await page.context().close();
});
