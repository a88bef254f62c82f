// The queue in a real browser, used as people use it: a resident takes a number at the kiosk
// and follows it on the ticket page (which reloads itself while waiting), a window clerk opens
// a counter, calls the next number and finishes the service with an outcome, and the hall's
// display board, already open, shows the call live (server-sent events) without a reload. Who
// may work which counter; the list of a site's tickets of the day, downloaded as CSV and XLSX.
// Every page is checked with axe (no serious or critical violations).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { startServer, launchBrowser, DEMO_PASSWORD, seriousViolations } from './server.mjs';

let server;
let browser;
let sites; // GET /api/v1/org/sites

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  sites = await (await fetch(server.base + '/api/v1/org/sites')).json();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

// Sites of the demo district, each used by the tests named beside it (they share one database).
const HALL = '公共服务综合业务大厅'; // the main flow; clerk.hall's scope
const STATION_NUMBERS = '凌工社区政务服务驿站'; // two tickets in a row
const STATION_RELOAD = '凌水社区政务服务驿站'; // the ticket page's own reload; station.ls01's scope
const GROUP_A = 'A · 综合业务';
const HALL_COUNTER = '综合窗口1号'; // a comprehensive window: it serves every group

const site = (name) => {
  const s = sites.find((x) => x.name === name);
  assert.ok(s, `site ${name} in /api/v1/org/sites`);
  return s;
};

// A page in its own context (axe needs one made with browser.newContext()).
async function newPage(options = {}) {
  const context = await browser.newContext({ locale: 'zh-CN', acceptDownloads: true, ...options });
  return context.newPage();
}

async function assertAccessible(page, what) {
  assert.deepEqual(await seriousViolations(page), [], `axe on ${what}`);
}

async function logIn(page, username) {
  await page.goto(server.base + '/console/login');
  await page.getByLabel('用户名').fill(username);
  await page.getByLabel('密码').fill(DEMO_PASSWORD);
  await page.getByRole('button', { name: '登录' }).click();
  await page.waitForURL(server.base + '/console');
}

/** A fresh context signed in as `username`, on /console. */
async function staffPage(username) {
  const page = await newPage();
  await logIn(page, username);
  return page;
}

const button = (page, name) => page.getByRole('button', { name, exact: true });
const statusText = (page) => page.getByRole('status').innerText();

/** The text of the <dd> after the <dt> that says `term` (the ticket page's facts). */
function fact(page, term) {
  return page.locator('dl.facts dt', { hasText: term }).locator('xpath=following-sibling::dd[1]').innerText();
}

/** The kiosk's big button for an item group at the chosen site. */
const groupButton = (page, label) => page.locator('button.kiosk-choice', { hasText: label });

/** How many wait in the group, as its kiosk button says ("等候 N"). */
async function waitingOn(page, label) {
  const m = (await groupButton(page, label).innerText()).match(/等候\s*(\d+)/);
  assert.ok(m, `"等候 N" on the ${label} button`);
  return Number(m[1]);
}

/** From the kiosk home to the group buttons of `siteName`, as a resident taps through. */
async function kioskToSite(page, siteName) {
  await page.goto(server.base + '/kiosk');
  await page.locator('.kiosk-choice', { hasText: '取号' }).click();
  await page.waitForURL(server.base + '/kiosk/ticket');
  await page.getByRole('link', { name: siteName, exact: true }).click();
  await page.waitForURL(/\/kiosk\/ticket\?site=\d+$/);
}

/** Takes a number at the kiosk; returns the ticket's id and number and how many waited before. */
async function takeTicket(page, siteName, label = GROUP_A) {
  await kioskToSite(page, siteName);
  const waitingBefore = await waitingOn(page, label);
  await groupButton(page, label).click();
  await page.waitForURL(/\/ticket\/\d+\?t=[0-9a-f]+$/);
  const id = Number(page.url().match(/\/ticket\/(\d+)\?t=/)[1]);
  const number = (await page.locator('h1 .ticket-number').innerText()).trim();
  return { id, number, waitingBefore };
}

/** The clerk's way to a counter: console → 窗口叫号 → the counter's link. */
async function goToCounter(page, counterName) {
  await page.goto(server.base + '/console');
  await page.getByRole('link', { name: '窗口叫号' }).click();
  await page.waitForURL(server.base + '/console/counters');
  await page.getByRole('link', { name: counterName, exact: true }).click();
  await page.waitForURL(/\/console\/counter\/\d+$/);
}

/** Clicks a form's button and waits for the page the server answers with. */
async function submit(page, name) {
  const [response] = await Promise.all([page.waitForNavigation(), button(page, name).click()]);
  return response;
}

/** The site names (h2) and counter links of /console/counters. */
async function countersList(page) {
  await page.goto(server.base + '/console/counters');
  return {
    sites: await page.locator('main h2').allInnerTexts(),
    counters: await page.locator('main .card a').allInnerTexts(),
  };
}

test('the kiosk leads from 取号 to a site and its item groups, in large targets', async () => {
  const page = await newPage();
  await page.goto(server.base + '/kiosk');
  await page.locator('.kiosk-choice', { hasText: '取号' }).click();
  await page.waitForURL(server.base + '/kiosk/ticket');
  assert.equal(await page.locator('h1').innerText(), '取号');
  assert.match(await page.locator('main').innerText(), /请选择办事地点/);
  const links = await page.locator('main .kiosk-list a').allInnerTexts();
  for (const s of sites) assert.ok(links.includes(s.name), `${s.name} (${s.kind}) offered`);
  await assertAccessible(page, '/kiosk/ticket');

  await page.getByRole('link', { name: HALL, exact: true }).click();
  await page.waitForURL(`${server.base}/kiosk/ticket?site=${site(HALL).id}`);
  assert.match(await page.locator('main .lead').innerText(), new RegExp(HALL));
  const groups = page.locator('button.kiosk-choice');
  assert.ok((await groups.count()) >= 1);
  assert.match(await groupButton(page, GROUP_A).innerText(), /^A · 综合业务\s*等候 0$/);
  for (let i = 0; i < (await groups.count()); i++) {
    const box = await groups.nth(i).boundingBox();
    assert.ok(box.height >= 64 && box.width >= 64, 'touch targets of 64 px at least');
  }
  await assertAccessible(page, '/kiosk/ticket?site=…');
  // At most six choices a screen: the hall's other groups are behind "更多业务".
  const seen = new Set(await groups.allInnerTexts());
  assert.ok((await page.locator('main .kiosk-choice').count()) <= 6, 'six choices at most');
  while (await page.locator('a.kiosk-choice', { hasText: '更多业务' }).count()) {
    await page.locator('a.kiosk-choice', { hasText: '更多业务' }).click();
    await page.waitForURL(/screen=\d+$/);
    assert.ok((await page.locator('main .kiosk-choice').count()) <= 6, 'six choices at most');
    assert.equal(await page.locator('a.kiosk-choice', { hasText: '上一页业务' }).count(), 1);
    for (const t of await groups.allInnerTexts()) seen.add(t);
  }
  assert.ok(seen.size > 4, `every group is reachable (${seen.size})`);
  await page.getByRole('link', { name: '返回首页' }).click();
  await page.waitForURL(server.base + '/kiosk');
  await page.context().close();
});

test('a resident takes a number, the clerk calls it, the open board shows it live, the ticket says where to go', async () => {
  const hall = site(HALL);
  assert.equal(hall.kind, 'hall');

  // The hall's display board is already up before anyone takes a number.
  const board = await newPage();
  const boardResponse = await board.goto(`${server.base}/board/${hall.id}`);
  assert.equal(boardResponse.status(), 200);
  assert.equal(await board.locator('h1').innerText(), HALL);
  assert.equal(await board.locator('ol#calls li').count(), 0, 'no calls yet');
  assert.ok(await board.locator('#no-calls').isVisible(), 'says there are no calls yet');
  await assertAccessible(board, 'the board before any call');
  await board.evaluate(() => {
    window.__notReloaded = true;
  });

  // The resident takes a number at the kiosk.
  const resident = await newPage();
  const ticket = await takeTicket(resident, HALL);
  assert.match(ticket.number, /^A\d{3}$/);
  assert.equal(ticket.number, 'A001', "the day's first ticket of group A");
  assert.match(await resident.locator('h1').innerText(), new RegExp(`您的号码\\s*${ticket.number}`));
  assert.match(await resident.locator('main .lead').innerText(), new RegExp(HALL));
  assert.equal(await fact(resident, '状态'), '等候中');
  assert.equal(await fact(resident, '前面还有'), String(ticket.waitingBefore));
  assert.match(await fact(resident, '预计等候'), /^\d+ 分钟$/);
  assert.ok(parseInt(await fact(resident, '预计等候'), 10) >= 1, 'a wait of a minute at least');
  await assertAccessible(resident, 'the ticket page (waiting)');

  // The clerk opens the counter and calls the next number.
  const clerk = await staffPage('clerk.hall');
  await goToCounter(clerk, HALL_COUNTER);
  const counterUrl = clerk.url();
  assert.equal(await clerk.locator('h1').innerText(), HALL_COUNTER);
  assert.match(await clerk.locator('main .muted').first().innerText(), /窗口未开启/);
  assert.equal(await button(clerk, '叫下一位').count(), 0, 'a closed counter cannot call');
  await assertAccessible(clerk, 'the counter page (closed)');
  await submit(clerk, '开启窗口');
  assert.equal(await statusText(clerk), '窗口已开启。');
  assert.match(await clerk.locator('main .muted').first().innerText(), /窗口已开启/);
  await assertAccessible(clerk, 'the counter page (open)');

  // The board notes when the call appears, so that the lag measured is the board's, not the
  // time this test spends checking the clerk's page meanwhile.
  await board.evaluate((n) => {
    window.__seenAt = null;
    const seen = () => {
      if (window.__seenAt === null && document.querySelector('ol#calls li .ticket-number')?.textContent.trim() === n) {
        window.__seenAt = Date.now();
      }
    };
    new MutationObserver(seen).observe(document.body, { childList: true, subtree: true, characterData: true });
  }, ticket.number);
  const called = await submit(clerk, '叫下一位');
  const calledAt = Date.now();
  assert.equal(called.status(), 200);
  assert.equal(await statusText(clerk), `已叫号 ${ticket.number}`);
  assert.match(await clerk.locator('h2', { hasText: '正在办理' }).innerText(), new RegExp(`正在办理\\s*${ticket.number}`));
  for (const outcome of ['办结', '需补充材料', '转其他窗口/部门']) {
    assert.equal(await clerk.getByRole('radio', { name: outcome, exact: true }).count(), 1, `outcome ${outcome}`);
  }
  assert.ok(await clerk.getByRole('radio', { name: '办结', exact: true }).isChecked(), '办结 by default');
  await assertAccessible(clerk, 'the counter page (serving)');

  // The open board shows the call within a second or so, without reloading.
  const first = board.locator('ol#calls li').first();
  await board.waitForFunction(
    (n) => document.querySelector('ol#calls li .ticket-number')?.textContent.trim() === n,
    ticket.number,
    { timeout: 5000 },
  );
  const lag = (await board.evaluate(() => window.__seenAt)) - calledAt;
  assert.ok(lag < 2000, `the board showed the call ${lag} ms after it`);
  assert.match(await first.innerText(), new RegExp(`${ticket.number}\\s+${HALL_COUNTER}`));
  assert.equal(await board.evaluate(() => window.__notReloaded), true, 'the board was not reloaded');
  assert.ok(await board.locator('#no-calls').isHidden(), 'no "no calls" text beside a call');
  await assertAccessible(board, 'the board with a call');

  // The resident's page, reloaded, says the number was called and where to go.
  await resident.reload();
  assert.equal(await fact(resident, '状态'), `已叫号，请到窗口：${HALL_COUNTER}`);
  assert.equal(await resident.locator('dl.facts dt', { hasText: '前面还有' }).count(), 0);
  await assertAccessible(resident, 'the ticket page (called)');

  // The clerk finishes with an outcome.
  await clerk.getByRole('radio', { name: '需补充材料', exact: true }).check();
  await submit(clerk, '办结');
  assert.equal(await statusText(clerk), `${ticket.number} 已办结。`);
  assert.equal(await clerk.locator('h2', { hasText: '正在办理' }).count(), 0, 'nobody at the counter now');
  const done = await (await fetch(`${server.base}/api/v1/queue/tickets/${ticket.id}`)).json();
  assert.equal(done.status, 'done');
  assert.equal(done.outcome, 'more_material');
  await resident.reload();
  assert.match(await fact(resident, '状态'), /^已办结/);
  assert.doesNotMatch(await fact(resident, '状态'), /请到窗口/, 'no longer sent to the window');

  // Nobody else waits; then the counter closes and can no longer call.
  await submit(clerk, '叫下一位');
  assert.equal(await statusText(clerk), '现在没有人等候。');
  await submit(clerk, '暂停服务');
  assert.equal(await statusText(clerk), '窗口已暂停服务。');
  assert.equal(await button(clerk, '叫下一位').count(), 0, 'no call button on a closed counter');
  assert.equal(await button(clerk, '开启窗口').count(), 1);
  // After each action the page is fetched again (post/redirect/get): same counter, a notice.
  assert.equal(clerk.url().split('?')[0], counterUrl.split('?')[0]);
  // Reloading repeats nothing.
  await clerk.reload();
  assert.equal(await button(clerk, '叫下一位').count(), 0);

  for (const p of [board, resident, clerk]) await p.context().close();
});

test('the next ticket gets the next number and sees one ahead', async () => {
  const page = await newPage();
  const first = await takeTicket(page, STATION_NUMBERS, 'A · 驿站业务');
  assert.match(first.number, /^A\d{3}$/);
  const second = await takeTicket(page, STATION_NUMBERS, 'A · 驿站业务');
  assert.match(second.number, /^A\d{3}$/);
  assert.notEqual(second.id, first.id);
  assert.equal(Number(second.number.slice(1)), Number(first.number.slice(1)) + 1, `${first.number} then ${second.number}`);
  assert.equal(second.waitingBefore, first.waitingBefore + 1, 'the kiosk counts the first as waiting');
  assert.equal(await fact(page, '前面还有'), String(first.waitingBefore + 1));
  assert.equal(await fact(page, '状态'), '等候中');
  await page.context().close();
});

test('the ticket page reloads itself while waiting and shows the call', async () => {
  const resident = await newPage();
  await resident.clock.install();
  const ticket = await takeTicket(resident, STATION_RELOAD, 'A · 驿站业务');
  assert.equal(await fact(resident, '状态'), '等候中');

  const staff = await staffPage('station.ls01');
  await goToCounter(staff, `${STATION_RELOAD}服务台`);
  await submit(staff, '开启窗口');
  await submit(staff, '叫下一位');
  assert.equal(await statusText(staff), `已叫号 ${ticket.number}`);

  // 15 s later the page reloads by itself and shows where to go.
  await Promise.all([resident.waitForEvent('load'), resident.clock.runFor(16_000)]);
  assert.equal(await fact(resident, '状态'), `已叫号，请到窗口：${STATION_RELOAD}服务台`);

  await submit(staff, '办结');
  assert.equal(await statusText(staff), `${ticket.number} 已办结。`);
  await Promise.all([resident.waitForEvent('load'), resident.clock.runFor(16_000)]);
  assert.match(await fact(resident, '状态'), /^已办结/);
  // A finished ticket no longer reloads.
  await resident.evaluate(() => {
    window.__notReloaded = true;
  });
  await resident.clock.runFor(31_000);
  assert.equal(await resident.evaluate(() => window.__notReloaded), true, 'no reload once finished');
  for (const p of [resident, staff]) await p.context().close();
});

test('a hall clerk works only the hall counters: a station counter is 403', async () => {
  const clerk = await staffPage('clerk.hall');
  assert.equal(await clerk.getByRole('link', { name: '窗口叫号' }).count(), 1, 'the console offers 窗口叫号');
  const mine = await countersList(clerk);
  assert.deepEqual(mine.sites, [HALL], 'only the public service hall');
  assert.ok(mine.counters.includes(HALL_COUNTER));
  await assertAccessible(clerk, '/console/counters (clerk.hall)');

  const admin = await staffPage('admin');
  const all = await countersList(admin);
  for (const s of sites) assert.ok(all.sites.includes(s.name), `admin sees ${s.name}`);
  const stationCounter = admin.getByRole('link', { name: `${STATION_NUMBERS}服务台`, exact: true });
  const stationHref = await stationCounter.getAttribute('href');
  assert.match(stationHref, /^\/console\/counter\/\d+$/);
  assert.ok(!mine.counters.includes(`${STATION_NUMBERS}服务台`));

  // Typing the address does not help.
  const res = await clerk.goto(server.base + stationHref);
  assert.equal(res.status(), 403);
  assert.match(await clerk.locator('h1').innerText(), /403/);
  assert.equal(await button(clerk, '开启窗口').count(), 0);
  await assertAccessible(clerk, 'the 403 page');
  // Nor does posting the form by hand (with a valid CSRF token of the clerk's own counter page).
  await goToCounter(clerk, HALL_COUNTER);
  const csrf = await clerk.locator('input[name="csrf"]').first().inputValue();
  const post = await clerk.request.post(server.base + stationHref, {
    form: { csrf, action: 'open' },
    maxRedirects: 0,
  });
  assert.equal(post.status(), 403);
  await admin.goto(server.base + stationHref);
  assert.match(await admin.locator('main .muted').first().innerText(), /窗口未开启/, 'still closed');

  for (const p of [clerk, admin]) await p.context().close();
});

test('the counters need a signed-in queue worker', async () => {
  const anonymous = await newPage();
  await anonymous.goto(server.base + '/console/counters');
  await anonymous.waitForURL(server.base + '/console/login');
  await anonymous.goto(server.base + '/console/counter/1');
  await anonymous.waitForURL(server.base + '/console/login');
  await anonymous.context().close();

  const leader = await staffPage('leader');
  assert.equal(await leader.getByRole('link', { name: '窗口叫号' }).count(), 0, 'a leader has no 窗口叫号');
  const res = await leader.goto(server.base + '/console/counters');
  assert.equal(res.status(), 403);
  await leader.context().close();
});

test("the clerk of window A01 can work that window's counter", async () => {
  // clerk.a01 (综合窗口1号 李娜) is a window clerk scoped to the window A01, 综合窗口1号.
  const clerk = await staffPage('clerk.a01');
  assert.equal(await clerk.getByRole('link', { name: '窗口叫号' }).count(), 1);
  const mine = await countersList(clerk);
  assert.ok(mine.counters.includes(HALL_COUNTER), `clerk.a01 sees ${HALL_COUNTER}: ${JSON.stringify(mine)}`);
  await clerk.getByRole('link', { name: HALL_COUNTER, exact: true }).click();
  await clerk.waitForURL(/\/console\/counter\/\d+$/);
  assert.equal(await clerk.locator('h1').innerText(), HALL_COUNTER);
  await clerk.context().close();
});

/** Clicks a download link; the file's suggested name and its bytes. */
async function download(page, name) {
  const [file] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name, exact: true }).click()]);
  return { name: file.suggestedFilename(), bytes: await readFile(await file.path()) };
}

test("the day's tickets of a site: a table for the staff whose counters are there, downloadable as CSV and XLSX", async () => {
  const resident = await newPage();
  const ticket = await takeTicket(resident, HALL);
  await resident.context().close();

  const clerk = await staffPage('clerk.hall');
  await clerk.goto(server.base + '/console/counters');
  await clerk.getByRole('link', { name: `${HALL}：今日票号` }).click();
  await clerk.waitForURL(`${server.base}/console/counters/tickets?site=${site(HALL).id}`);
  assert.equal(await clerk.locator('h1').innerText(), '今日票号');
  assert.match(await clerk.locator('#tickets-count').innerText(), new RegExp(`^${HALL} · 共 \\d+ 张票号$`));
  const headers = await clerk.locator('#tickets thead th').allInnerTexts();
  assert.deepEqual(headers, ['票号', '业务组', '优先类别', '状态', '取号时间', '叫号时间', '开始办理', '结束时间', '等候（分钟）', '办理（分钟）', '窗口', '办理结果']);
  const row = clerk.locator('#tickets tbody tr', { has: clerk.locator('th', { hasText: new RegExp(`^${ticket.number}$`) }) });
  assert.equal(await row.count(), 1, `${ticket.number} in the list`);
  assert.match(await row.innerText(), /A · 综合业务\s+普通\s+等候中\s+\d\d:\d\d:\d\d/);
  // Only the sites of the clerk's counters to choose from.
  assert.deepEqual(await clerk.getByLabel('办事地点').locator('option').allInnerTexts(), [HALL]);
  await assertAccessible(clerk, '/console/counters/tickets');

  // The same list as files, with the page's words heading the columns.
  const day = await clerk.getByLabel('日期').inputValue();
  assert.match(day, /^\d{4}-\d\d-\d\d$/, 'today by default');
  const csv = await download(clerk, 'CSV');
  assert.equal(csv.name, `zhengwu-tickets-${site(HALL).id}-${day}.csv`);
  const text = csv.bytes.toString('utf8');
  assert.ok(text.startsWith('\ufeff'), 'a byte-order mark for spreadsheet programs');
  const lines = text.slice(1).trim().split(/\r?\n/);
  assert.equal(lines[0], headers.join(','));
  assert.ok(lines.some((l) => l.startsWith(`${ticket.number},A · 综合业务,普通,等候中,`)), `a row for ${ticket.number}: ${text}`);
  const xlsx = await download(clerk, 'XLSX');
  assert.equal(xlsx.name, `zhengwu-tickets-${site(HALL).id}-${day}.xlsx`);
  assert.equal(xlsx.bytes.subarray(0, 2).toString('latin1'), 'PK', 'an XLSX file is a zip');

  // An earlier day by the date picker: none that day.
  const yesterday = new Date(Date.parse(`${day}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
  await clerk.getByLabel('日期').fill(yesterday);
  await submit(clerk, '查看');
  assert.equal(clerk.url(), `${server.base}/console/counters/tickets?site=${site(HALL).id}&day=${yesterday}`);
  assert.match(await clerk.locator('h1').innerText(), /票号$/);
  assert.match(await clerk.locator('main').innerText(), /这一天没有票号/);
  await assertAccessible(clerk, '/console/counters/tickets (an earlier day)');

  // A station is not the hall clerk's.
  const station = sites.find((s) => s.kind === 'station');
  assert.equal((await clerk.goto(`${server.base}/console/counters/tickets?site=${station.id}`)).status(), 403);
  await clerk.context().close();
});

test("the day's tickets in English", async () => {
  const admin = await staffPage('admin');
  await admin.goto(`${server.base}/console/counters/tickets?site=${site(HALL).id}&lang=en`);
  assert.equal(await admin.locator('h1').innerText(), "Today's tickets");
  assert.deepEqual((await admin.locator('#tickets thead th').allInnerTexts()).slice(0, 4), ['Number', 'Group', 'Priority class', 'Status']);
  assert.ok((await admin.getByLabel('Site').locator('option').count()) > 1, 'the administrator sees every site');
  await assertAccessible(admin, '/console/counters/tickets in English');
  const csv = await download(admin, 'CSV');
  assert.ok(csv.bytes.toString('utf8').slice(1).startsWith('Number,Group,Priority class,Status,Joined,Called,'), 'English headings');
  await admin.context().close();
});
