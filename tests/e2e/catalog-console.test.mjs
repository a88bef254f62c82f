// The catalog administration pages of the staff console in a real browser, used as an
// administrator would: find items in the list, edit and save a draft, publish and withdraw, two
// administrators saving the same item (the second gets the form back with everything typed),
// bad input, a new item that reaches the public guide once published, the synonym table, export
// and import with a report of the broken rows; who may not enter. Every page is checked with axe
// (no serious or critical violations).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
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

// A page in its own context (axe needs one made with browser.newContext()).
async function newPage(options = {}) {
  const context = await browser.newContext({ locale: 'zh-CN', acceptDownloads: true, ...options });
  return context.newPage();
}

async function assertAccessible(page, what) {
  assert.deepEqual(await seriousViolations(page), [], `axe on ${what}`);
}

async function logIn(page, username = 'admin') {
  await page.goto(server.base + '/console/login');
  await page.getByLabel('用户名').fill(username);
  await page.getByLabel('密码').fill(DEMO_PASSWORD);
  await page.getByRole('button', { name: '登录' }).click();
  await page.waitForURL(server.base + '/console');
}

/** A fresh context signed in as the administrator, on /console. */
async function adminPage() {
  const page = await newPage();
  await logIn(page, 'admin');
  return page;
}

/** Clicks a submit button and returns the response the page ends on (after any redirect). */
async function submit(page, button) {
  const [response] = await Promise.all([page.waitForNavigation(), button.click()]);
  return response;
}

const itemUrl = (code) => `${server.base}/console/catalog/items/${encodeURIComponent(code)}`;
const button = (page, name) => page.getByRole('button', { name, exact: true });
const publishButton = (page) => page.getByRole('button', { name: /^发布版本 \d+$/ });
const alertText = (page) => page.getByRole('alert').innerText();
const statusText = (page) => page.getByRole('status').innerText();

/** The names on the guide's answer cards for a question. */
async function guideAnswers(page, q) {
  await page.goto(`${server.base}/guide?q=${encodeURIComponent(q)}`);
  return page.locator('li.answer-card h3').allInnerTexts();
}

/** A table's body rows as arrays of cell texts. */
function tableRows(table) {
  return table.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.cells].map((td) => td.innerText.trim())));
}

// Demo items, each used by one test only (the tests share one database).
const FLEXIBLE = { code: '210231-RSJ-GG-5001', name: '灵活就业人员参加企业职工基本养老保险登记' }; // conflict
const ID_CARD = { code: '210231-GAJ-XK-6003', name: '居民身份证补领' }; // bad input
const DRIVING = { code: '210231-JJD-XK-6101' }; // version shown after a refusal
const DRAFTED = '210231-RSJ-GG-5002'; // a draft saved and published
const NOTICED = '210231-RSJ-GG-5005'; // the notices of publishing and withdrawing
const IN_SERVICE = '210231-RSJ-GG-5006'; // nothing to publish
const CONFLICT_WORDING = '210231-RSJ-GG-5007'; // what the conflict alert says the other changed
const USED = new Set([FLEXIBLE.code, ID_CARD.code, DRIVING.code, DRAFTED, NOTICED, IN_SERVICE, CONFLICT_WORDING]);

test('the console leads an administrator to the catalog, which filters by name, department and status', async () => {
  const page = await adminPage();
  await assertAccessible(page, '/console (admin)');
  await page.getByRole('link', { name: '服务事项目录', exact: true }).click();
  await page.waitForURL(server.base + '/console/catalog');
  assert.equal(await page.locator('h1').innerText(), '服务事项目录');
  for (const name of ['新建事项', '同义词表', '导入与导出']) {
    assert.equal(await page.getByRole('link', { name, exact: true }).count(), 1, `a ${name} button`);
  }
  const total = Number((await page.getByText(/^\d+ 个事项$/).innerText()).match(/\d+/)[0]);
  assert.ok(total >= 200, `the whole demo catalog (${total})`);
  assert.match(await page.locator('main p.muted').first().innerText(), new RegExp(`已发布 ${total}`), 'all in service');
  assert.equal(await page.locator('tbody tr').count(), 50, 'fifty rows a page');
  await assertAccessible(page, '/console/catalog');

  // The next page.
  await page.getByRole('link', { name: /下一页/ }).click();
  await page.waitForURL(/page=1/);
  assert.match(await page.locator('nav[aria-label="分页"]').innerText(), new RegExp(`2 / ${Math.ceil(total / 50)}`));

  // Narrow to the social security card items of the human resources bureau that are in service.
  await page.getByLabel('名称或编码').fill('社会保障卡');
  const department = page.getByLabel('实施部门');
  const rsj = await department.locator('option[value="RSJ"]').innerText();
  await department.selectOption('RSJ');
  await page.getByLabel('状态').selectOption({ label: '已发布' });
  await submit(page, button(page, '查询'));
  assert.match(page.url(), /[?&]department=RSJ/);
  assert.match(page.url(), /[?&]status=published/);
  assert.equal(await page.getByLabel('名称或编码').inputValue(), '社会保障卡', 'the search is kept');
  assert.equal(await department.inputValue(), 'RSJ', 'the department is kept');
  assert.equal(await page.getByLabel('状态').inputValue(), 'published', 'the status is kept');
  const rows = await tableRows(page.locator('table'));
  assert.equal(rows.length, 4, rows.map((r) => r[1]).join(' '));
  for (const [code, name, dept, status] of rows) {
    assert.match(name, /社会保障卡/);
    assert.match(code, /^210231-RSJ-/);
    assert.ok(dept === rsj || dept === 'RSJ', `department ${dept}`);
    assert.equal(status, '已发布');
  }
  await assertAccessible(page, '/console/catalog (filtered)');

  // A row's name opens its edit form.
  const link = page.locator('tbody tr').first().getByRole('link');
  const name = await link.innerText();
  await link.click();
  await page.waitForURL(/\/console\/catalog\/items\/210231-RSJ-/);
  assert.equal(await page.locator('h1').innerText(), name);
  assert.equal(await page.getByLabel('事项名称').inputValue(), name);

  // Nothing matches.
  await page.goto(server.base + '/console/catalog?q=' + encodeURIComponent('没有这种事项xyz'));
  assert.equal(await page.getByText('没有符合条件的事项。').count(), 1);
  await page.context().close();
});

test('an administrator saves a draft, publishes it, and finds the change in the history and the audit trail', async () => {
  const page = await adminPage();
  const code = DRAFTED;
  await page.goto(itemUrl(code));
  assert.match(await page.locator('p.muted').first().innerText(), /状态：已发布 · 最新版本：1（在用）/);
  await assertAccessible(page, 'the edit form');

  const aliases = page.getByLabel('别名与俗称');
  const before = await aliases.inputValue();
  await aliases.fill(before + '\n浏览器测试俗称');
  await page.getByLabel('承诺时限（工作日）').fill('3');
  await page.getByRole('checkbox', { name: '即办件' }).uncheck();
  const response = await submit(page, button(page, '保存'));
  assert.equal(response.status(), 200);
  assert.match(await statusText(page), /已保存为草稿/);
  assert.equal(await aliases.inputValue(), before + '\n浏览器测试俗称', 'the saved aliases');
  assert.equal(await page.getByLabel('承诺时限（工作日）').inputValue(), '3');
  assert.equal(await page.getByRole('checkbox', { name: '即办件' }).isChecked(), false);
  assert.equal(await publishButton(page).innerText(), '发布版本 2');
  assert.match(await page.locator('p.muted').first().innerText(), /最新版本：2（草稿）/);
  await assertAccessible(page, 'the edit form after saving');

  // (What the page says after publishing is checked in a test of its own.)
  await submit(page, publishButton(page));
  assert.match(await page.locator('p.muted').first().innerText(), /最新版本：2（在用）/);
  const versions = await tableRows(page.locator('table').last());
  assert.equal(versions.length, 2, 'two versions');
  assert.equal(versions.find((r) => r[0] === '2')[1], '在用');
  assert.equal(versions.find((r) => r[0] === '1')[1], '已被替代');

  // The public page shows the new version; the link goes there.
  await page.getByRole('link', { name: '查看公开页面' }).click();
  await page.waitForURL(server.base + '/items/' + code);
  assert.match(await page.locator('main').innerText(), /3\s*个工作日/);

  await page.goto(itemUrl(code));
  await page.getByRole('link', { name: '查看修改记录（审计日志）' }).click();
  await page.waitForURL(/\/console\/audit\?/);
  const actions = (await tableRows(page.locator('table'))).map((r) => r[4]);
  assert.ok(actions.includes('catalog.edit'), actions.join(' '));
  assert.ok(actions.includes('catalog.publish'), actions.join(' '));
  assert.ok((await tableRows(page.locator('table'))).every((r) => r[5].includes(code)), 'only this item');
  await assertAccessible(page, 'the audit trail of an item');
  await page.context().close();
});

test('two administrators save the same item: the second gets the form back with everything typed', async () => {
  const a = await adminPage();
  const b = await adminPage();
  await a.goto(itemUrl(FLEXIBLE.code));
  await b.goto(itemUrl(FLEXIBLE.code));
  const original = await b.getByLabel('受理条件').inputValue();

  // B types a lot before saving.
  const bAliases = (await b.getByLabel('别名与俗称').inputValue()) + '\n自己交社保\n打零工交社保';
  await b.getByLabel('别名与俗称').fill(bAliases);
  await b.getByLabel('承诺时限（工作日）').fill('2');
  await b.getByLabel('材料名称 1', { exact: true }).fill('申请人身份信息（B 改）');
  const materials = await b.locator('input[name$="_name"][name^="m"]').count();
  await b.getByLabel(`材料名称 ${materials}`, { exact: true }).fill('B 新加的材料');
  await b.getByLabel('问题 3', { exact: true }).fill('B 写的问题？');
  await b.getByLabel('答复 3', { exact: true }).fill('B 写的答复。');

  // Meanwhile A changes the conditions and saves first.
  const aConditions = original + '（A 补充：需本人办理。）';
  await a.getByLabel('受理条件').fill(aConditions);
  assert.equal((await submit(a, button(a, '保存'))).status(), 200);
  assert.match(await statusText(a), /已保存为草稿/);

  const response = await submit(b, button(b, '保存'));
  assert.equal(response.status(), 409);
  const alert = await alertText(b);
  assert.match(alert, /已被他人修改/);
  assert.match(alert, /当前保存的内容中与您填写不同的字段/);
  const differs = alert.split('当前保存的内容中与您填写不同的字段')[1];
  const listed = differs.replace(/^[：:\s]+/, '').trim().split('、');
  assert.ok(listed.includes('受理条件'), `A changed the conditions: ${listed}`);
  const touched = ['受理条件', '别名与俗称', '承诺时限（工作日）', '申请材料', '常见问题'];
  assert.deepEqual(listed.filter((f) => !touched.includes(f)), [], 'no field that nobody touched');
  // Everything B typed is still there.
  assert.equal(await b.getByLabel('别名与俗称').inputValue(), bAliases);
  assert.equal(await b.getByLabel('承诺时限（工作日）').inputValue(), '2');
  assert.equal(await b.getByLabel('受理条件').inputValue(), original, "B's conditions, not A's");
  assert.equal(await b.getByLabel('材料名称 1', { exact: true }).inputValue(), '申请人身份信息（B 改）');
  assert.equal(
    await b.locator('input[name^="m"][name$="_name"]').evaluateAll((ins) => ins.map((i) => i.value).includes('B 新加的材料')),
    true,
    'the new material row is kept',
  );
  assert.equal(await b.locator('input[name^="q"][name$="_q"]').evaluateAll((ins) => ins.some((i) => i.value === 'B 写的问题？')), true);
  assert.equal(await b.locator('textarea[name^="q"][name$="_a"]').evaluateAll((ts) => ts.some((t) => t.value === 'B 写的答复。')), true);
  await assertAccessible(b, 'the edit form after a conflict');

  // A's draft is untouched by the refused save.
  await a.goto(itemUrl(FLEXIBLE.code));
  assert.equal(await a.getByLabel('受理条件').inputValue(), aConditions);

  // B has compared and saves again: now it goes through.
  assert.equal((await submit(b, button(b, '保存'))).status(), 200);
  assert.match(await statusText(b), /已保存为草稿/);
  assert.equal(await b.getByLabel('别名与俗称').inputValue(), bAliases);
  assert.equal(await b.getByLabel('承诺时限（工作日）').inputValue(), '2');
  await a.context().close();
  await b.context().close();
});

test('after a conflict, the fields said to be changed by the other administrator are the ones they changed', async () => {
  const a = await adminPage();
  const b = await adminPage();
  await a.goto(itemUrl(CONFLICT_WORDING));
  await b.goto(itemUrl(CONFLICT_WORDING));
  await a.getByLabel('受理条件').fill((await a.getByLabel('受理条件').inputValue()) + '（A 改）');
  await submit(a, button(a, '保存'));
  await b.getByLabel('别名与俗称').fill((await b.getByLabel('别名与俗称').inputValue()) + '\nB 加的俗称');
  assert.equal((await submit(b, button(b, '保存'))).status(), 409);
  const alert = await alertText(b);
  const [, label, list] = alert.match(/\n([^\n：]+)：([^\n]+)$/);
  // The alert lists "当前保存的内容中与您填写不同的字段": A changed only the conditions; the aliases
  // differ because B changed them. Either the list or its label has to say so.
  if (label.includes('对方改过')) assert.deepEqual(list.split('、'), ['受理条件'], `${label}：${list}`);
  else assert.deepEqual(list.split('、').sort(), ['别名与俗称', '受理条件'].sort(), `${label}：${list}`);
  await a.context().close();
  await b.context().close();
});

test('a time limit that is not a number is refused, and what was typed stays in the form', async () => {
  const page = await adminPage();
  await page.goto(itemUrl(ID_CARD.code));
  const conditions = (await page.getByLabel('受理条件').inputValue()) + '（未保存的修改）';
  const aliases = (await page.getByLabel('别名与俗称').inputValue()) + '\n丢了身份证';
  await page.getByLabel('受理条件').fill(conditions);
  await page.getByLabel('别名与俗称').fill(aliases);
  await page.getByLabel('承诺时限（工作日）').fill('三天');
  const response = await submit(page, button(page, '保存'));
  assert.ok(response.status() >= 400 && response.status() < 500, `status ${response.status()}`);
  const alert = await alertText(page);
  assert.match(alert, /没有保存/);
  assert.match(alert, /承诺时限（工作日）应为数字，不是“三天”/);
  await assertAccessible(page, 'the edit form with a bad number');
  assert.equal(await page.getByLabel('受理条件').inputValue(), conditions, 'the conditions are kept');
  assert.equal(await page.getByLabel('别名与俗称').inputValue(), aliases, 'the aliases are kept');
  assert.equal(await page.getByLabel('承诺时限（工作日）').inputValue(), '三天', 'the bad value is kept to be corrected');

  // Nothing was saved.
  await page.goto(itemUrl(ID_CARD.code));
  assert.notEqual(await page.getByLabel('受理条件').inputValue(), conditions);
  assert.match(await page.locator('p.muted').first().innerText(), /最新版本：1（在用）/, 'no draft was made');
  await page.context().close();
});

test('a form sent back with an error still names the newest version', async () => {
  const page = await adminPage();
  await page.goto(itemUrl(DRIVING.code));
  await page.getByLabel('受理条件').fill((await page.getByLabel('受理条件').inputValue()) + '（草稿）');
  await submit(page, button(page, '保存'));
  assert.equal(await publishButton(page).innerText(), '发布版本 2');

  await page.getByLabel('承诺时限（工作日）').fill('x');
  await submit(page, button(page, '保存'));
  assert.match(await alertText(page), /应为数字/);
  assert.match(await page.locator('p.muted').first().innerText(), /最新版本：2（草稿）/);
  assert.equal(await publishButton(page).innerText(), '发布版本 2');
  await page.context().close();
});

test('publishing and withdrawing on the edit form say so, without an error', async () => {
  const page = await adminPage();
  await page.goto(itemUrl(NOTICED));
  await page.getByLabel('受理条件').fill((await page.getByLabel('受理条件').inputValue()) + '（新版本）');
  await submit(page, button(page, '保存'));

  let response = await submit(page, publishButton(page));
  const outcome = async () => ({
    status: response.status(),
    url: page.url(),
    alerts: await page.getByRole('alert').allInnerTexts(),
    notices: await page.getByRole('status').allInnerTexts(),
  });
  const published = await outcome();
  assert.match(await page.locator('p.muted').first().innerText(), /最新版本：2（在用）/, 'it is published');
  await page.getByLabel('撤回原因').fill('浏览器测试：暂停办理');
  response = await submit(page, button(page, '撤回事项'));
  const withdrawn = await outcome();
  assert.match(await page.locator('p.muted').first().innerText(), /状态：已撤回/, 'it is withdrawn');

  const url = itemUrl(NOTICED);
  assert.deepEqual(
    published,
    { status: 200, url: url + '?saved=publish', alerts: [], notices: ['已发布，办事指南立即使用新版本。'] },
    'after publishing',
  );
  assert.deepEqual(
    withdrawn,
    { status: 200, url: url + '?saved=withdraw', alerts: [], notices: ['已撤回，办事指南不再推荐此事项。'] },
    'after withdrawing',
  );
  await page.context().close();
});

test('an item whose newest version is in service offers nothing to publish', async () => {
  const page = await adminPage();
  await page.goto(itemUrl(IN_SERVICE));
  assert.match(await page.locator('p.muted').first().innerText(), /最新版本：1（在用）/);
  assert.equal(await page.getByLabel('撤回原因').count(), 1, 'it can be withdrawn');
  const offered = await publishButton(page).allInnerTexts();
  if (offered.length > 0) {
    // If the button is there anyway, it must at least not end in an error.
    await submit(page, publishButton(page));
    assert.deepEqual(
      { offered, alerts: await page.getByRole('alert').allInnerTexts() },
      { offered: [], alerts: [] },
      'a publish button for the version already in service',
    );
  }
  await page.context().close();
});

test('a new item starts as a draft, reaches the guide once published, and leaves it when withdrawn', async () => {
  const item = { code: '210231-RSJ-GG-9901', name: '屋顶光伏发电设施安装备案', department: 'RSJ' };
  const page = await adminPage();
  await page.goto(server.base + '/console/catalog');
  await page.getByRole('link', { name: '新建事项', exact: true }).click();
  await page.waitForURL(server.base + '/console/catalog/new');
  assert.equal(await page.locator('h1').innerText(), '新建事项');
  await assertAccessible(page, '/console/catalog/new');

  await page.getByLabel('实施编码').fill(item.code);
  await page.getByLabel('事项名称').fill(item.name);
  await page.getByLabel('别名与俗称').fill('装光伏板\n屋顶发电');
  await page.getByLabel('实施部门').selectOption(item.department);
  await page.getByLabel('受理条件').fill('在本区自有住宅屋顶安装分布式光伏发电设施的居民。');
  await page.getByLabel('办理流程').fill('提交申请\n受理\n办结');
  await page.getByLabel('承诺时限（工作日）').fill('5');
  await page.getByLabel('法定时限（工作日）').fill('20');
  await page.getByRole('checkbox', { name: '公共服务综合业务大厅' }).check();
  await page.getByLabel('办理窗口').fill('A01 A02');
  await page.getByLabel('材料名称 1', { exact: true }).fill('光伏设施安装申请表');
  await page.getByLabel('收费项目 1', { exact: true }).fill('不收费');
  await page.getByLabel('问题 1', { exact: true }).fill('需要物业同意吗？');
  await page.getByLabel('答复 1', { exact: true }).fill('需要提供物业或业委会的书面意见。');
  const response = await submit(page, button(page, '新建'));
  assert.equal(response.status(), 200);
  assert.equal(page.url(), itemUrl(item.code) + '?saved=create');
  assert.match(await statusText(page), /已新建为草稿/);
  assert.match(await page.locator('p.muted').first().innerText(), /草稿（未发布）/);
  assert.equal(await page.getByLabel('实施编码').getAttribute('readonly'), '', 'the code cannot change');
  assert.equal(await page.getByLabel('材料名称 1', { exact: true }).inputValue(), '光伏设施安装申请表');
  assert.equal(await page.getByLabel('答复 1', { exact: true }).inputValue(), '需要提供物业或业委会的书面意见。');
  assert.equal(await page.getByLabel('撤回原因').count(), 0, 'nothing to withdraw yet');
  await assertAccessible(page, 'a new draft');

  // A draft is not in the guide.
  const guide = await newPage();
  assert.ok(!(await guideAnswers(guide, item.name)).includes(item.name), 'a draft is not offered');

  // (What the page says after publishing is checked in a test of its own.)
  await submit(page, publishButton(page));
  assert.match(await page.locator('p.muted').first().innerText(), /状态：已发布 · 最新版本：1（在用）/);
  assert.equal((await guideAnswers(guide, item.name))[0], item.name, 'the guide offers it at once');
  assert.ok((await guideAnswers(guide, '装光伏板')).includes(item.name), 'found by its alias');

  // In the list, in service.
  await page.goto(server.base + '/console/catalog?q=' + encodeURIComponent(item.code));
  const rows = await tableRows(page.locator('table'));
  assert.equal(rows.length, 1);
  assert.equal(rows[0][3], '已发布');

  // Withdrawn: the guide no longer offers it.
  await page.goto(itemUrl(item.code));
  await page.getByLabel('撤回原因').fill('浏览器测试：政策调整');
  await submit(page, button(page, '撤回事项'));
  assert.match(await page.locator('p.muted').first().innerText(), /状态：已撤回/);
  assert.ok(!(await guideAnswers(guide, item.name)).includes(item.name), 'withdrawn items are not offered');
  await page.goto(itemUrl(item.code));
  assert.deepEqual((await tableRows(page.locator('table').last())).map((r) => r.slice(0, 2)), [['1', '已撤回']]);
  await assertAccessible(page, 'a withdrawn item');

  await page.getByRole('link', { name: '查看修改记录（审计日志）' }).click();
  const actions = (await tableRows(page.locator('table'))).map((r) => r[4]);
  for (const a of ['catalog.create', 'catalog.publish', 'catalog.withdraw']) assert.ok(actions.includes(a), actions.join(' '));
  await guide.context().close();
  await page.context().close();
});

test('a new item that is offered nowhere is sent back, explained in Chinese, with what was typed', async () => {
  const page = await adminPage();
  await page.goto(server.base + '/console/catalog/new');
  await page.getByLabel('实施编码').fill('210231-RSJ-GG-9902');
  await page.getByLabel('事项名称').fill('没有办理地点的事项');
  await page.getByLabel('实施部门').selectOption('RSJ');
  await page.getByLabel('受理条件').fill('测试条件');
  await page.getByLabel('材料名称 1', { exact: true }).fill('测试材料');
  const response = await submit(page, button(page, '新建'));
  assert.equal(response.status(), 422);
  assert.equal(page.url(), server.base + '/console/catalog/new');
  await assertAccessible(page, '/console/catalog/new with an error');
  assert.equal(await page.getByLabel('实施编码').inputValue(), '210231-RSJ-GG-9902');
  assert.equal(await page.getByLabel('事项名称').inputValue(), '没有办理地点的事项');
  assert.equal(await page.getByLabel('实施部门').inputValue(), 'RSJ');
  assert.equal(await page.getByLabel('受理条件').inputValue(), '测试条件');
  assert.equal(await page.getByLabel('材料名称 1', { exact: true }).inputValue(), '测试材料');
  const alert = await alertText(page);
  assert.match(alert, /办理大厅/);
  assert.doesNotMatch(alert, /[A-Za-z]{3,}/, `the reason is in Chinese: ${alert}`);
  await page.context().close();
});

test('a synonym added in the console is used by the guide at once, and goes when deleted', async () => {
  const phrase = '蓝本本';
  const page = await adminPage();
  const guide = await newPage();
  const question = `${phrase}怎么办`;
  assert.ok(!(await guideAnswers(guide, question)).some((n) => n.startsWith('食品经营许可')), 'not before');

  await page.goto(server.base + '/console/catalog');
  await page.getByRole('link', { name: '同义词表', exact: true }).click();
  await page.waitForURL(server.base + '/console/catalog/synonyms');
  const count = async () => Number((await page.getByText(/^\d+ 条$/).innerText()).match(/\d+/)[0]);
  const before = await count();
  assert.ok(before >= 200, `the demo table (${before})`);
  await assertAccessible(page, '/console/catalog/synonyms');

  await page.getByLabel('群众说法').fill(phrase);
  await page.getByLabel('对应事项用语').fill('食品经营许可');
  await submit(page, button(page, '添加或修改'));
  assert.equal(page.url(), server.base + '/console/catalog/synonyms');
  assert.equal(await count(), before + 1);
  const row = page.locator('tbody tr').filter({ has: page.getByRole('cell', { name: phrase, exact: true }) });
  assert.equal(await row.count(), 1);
  assert.match(await row.innerText(), /食品经营许可/);
  assert.match(await row.innerText(), /admin|系统管理员/);
  await assertAccessible(page, '/console/catalog/synonyms after adding');

  assert.ok((await guideAnswers(guide, question))[0]?.startsWith('食品经营许可'), 'the guide uses it at once');

  await submit(page, row.getByRole('button', { name: `删除 ${phrase}` }));
  assert.equal(await count(), before);
  assert.equal(await page.locator('tbody tr').filter({ has: page.getByRole('cell', { name: phrase, exact: true }) }).count(), 0);
  assert.ok(!(await guideAnswers(guide, question)).some((n) => n.startsWith('食品经营许可')), 'gone after deleting');
  await guide.context().close();
  await page.context().close();
});

test('the catalog exports as XLSX and JSON downloads; re-importing the XLSX changes nothing', async () => {
  const page = await adminPage();
  await page.goto(server.base + '/console/catalog');
  const inService = Number((await page.locator('main p.muted').first().innerText()).match(/已发布 (\d+)/)[1]);
  await page.getByRole('link', { name: '导入与导出', exact: true }).click();
  await page.waitForURL(server.base + '/console/catalog/transfer');
  await assertAccessible(page, '/console/catalog/transfer');

  const [json] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: '导出 JSON' }).click()]);
  assert.match(json.suggestedFilename(), /^catalog-\d{8}\.json$/);
  const doc = JSON.parse(await readFile(await json.path(), 'utf8'));
  assert.equal(doc.format, 'zhengwu-catalog');
  assert.equal(doc.items.length, inService, 'every item in service, and only those');
  assert.ok(doc.items.some((i) => i.code === ID_CARD.code && i.name === ID_CARD.name));

  const [xlsx] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: '导出 Excel（XLSX）' }).click()]);
  assert.match(xlsx.suggestedFilename(), /^catalog-\d{8}\.xlsx$/);
  const workbook = await readFile(await xlsx.path());
  assert.equal(workbook.subarray(0, 2).toString(), 'PK', 'a zip (XLSX) file');

  // What was exported comes back unchanged.
  await page.getByLabel('文件（.xlsx 或 .json）').setInputFiles({
    name: 'catalog.xlsx',
    mimeType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    buffer: workbook,
  });
  const response = await submit(page, button(page, '导入'));
  assert.equal(response.status(), 200);
  assert.match(await statusText(page), new RegExp(`导入完成：新增 0 · 更新 0 · 未变 ${doc.items.length}`));
  assert.equal(await page.locator('table.row-errors').count(), 0, 'no broken rows');
  await page.context().close();
});

/** The JSON export, taken with the page's session. */
async function exportJson(page) {
  const response = await page.context().request.get(server.base + '/api/v1/catalog/export?format=json');
  assert.equal(response.status(), 200);
  return response.json();
}

/** A catalog file of five rows: 1 changed, 2 without a name, 3 of an unknown department, 4 as is, 5 new. */
function brokenFile(doc, tag) {
  const items = doc.items.filter((i) => !USED.has(i.code) && !i.code.includes('-99')).slice(0, 4).map((i) => structuredClone(i));
  assert.equal(items.length, 4);
  const [changed, nameless, elsewhere, same] = items;
  changed.conditions += `（导入修改 ${tag}）`;
  nameless.name = '';
  elsewhere.department = 'NOPE';
  const added = { ...structuredClone(same), code: `210231-RSJ-GG-99${tag}`, name: `导入新增事项${tag}` };
  return {
    items: [changed, nameless, elsewhere, same, added],
    codes: { changed: changed.code, nameless: nameless.code, elsewhere: elsewhere.code, added: added.code },
    conditions: changed.conditions,
    buffer: Buffer.from(JSON.stringify({ ...doc, items: [changed, nameless, elsewhere, same, added] })),
  };
}

/** Chooses the file and the mode on the transfer page and imports. */
async function importFile(page, buffer, mode) {
  await page.goto(server.base + '/console/catalog/transfer');
  await page.getByLabel('文件（.xlsx 或 .json）').setInputFiles({ name: 'catalog.json', mimeType: 'application/json', buffer });
  await page.getByRole('radio', { name: mode, exact: true }).check();
  return submit(page, button(page, '导入'));
}

function assertBrokenRows(rows, file) {
  assert.equal(rows.length, 2, JSON.stringify(rows));
  const [a, b] = rows;
  // The field as its key or its label (the report shows keys today).
  assert.deepEqual(a.slice(0, 3), ['items', '2', file.codes.nameless]);
  assert.ok(['name', '事项名称'].includes(a[3]), `field ${a[3]}`);
  assert.ok(a[4].length > 0, 'a reason');
  assert.deepEqual(b.slice(0, 3), ['items', '3', file.codes.elsewhere]);
  assert.ok(['department', '实施部门'].includes(b[3]), `field ${b[3]}`);
  assert.match(b[4], /NOPE/);
}

test('importing a file with broken rows in the recommended mode imports nothing and lists each broken row', async () => {
  const page = await adminPage();
  const file = brokenFile(await exportJson(page), '71');
  await page.goto(server.base + '/console/catalog/transfer');
  assert.ok(await page.getByRole('radio', { name: '全部不导入（推荐）', exact: true }).isChecked(), 'the default');
  const response = await importFile(page, file.buffer, '全部不导入（推荐）');
  assert.equal(response.status(), 422);
  assert.match(await alertText(page), /什么都没有导入/);
  assert.match(await page.getByRole('heading', { name: /有问题的行/ }).innerText(), /有问题的行（2）/);
  assertBrokenRows(await tableRows(page.locator('table.row-errors')), file);
  await assertAccessible(page, '/console/catalog/transfer with broken rows');

  // Nothing changed, nothing new.
  assert.equal((await page.goto(itemUrl(file.codes.added))).status(), 404);
  await page.goto(itemUrl(file.codes.changed));
  assert.notEqual(await page.getByLabel('受理条件').inputValue(), file.conditions);
  await page.context().close();
});

test('importing only the rows without errors takes the good rows and still lists the broken ones', async () => {
  const page = await adminPage();
  const file = brokenFile(await exportJson(page), '72');
  const response = await importFile(page, file.buffer, '只导入没有错误的行');
  assert.equal(response.status(), 200);
  assert.match(await statusText(page), /导入完成：新增 1 · 更新 1 · 未变 1/);
  assertBrokenRows(await tableRows(page.locator('table.row-errors')), file);
  await assertAccessible(page, '/console/catalog/transfer after a partial import');

  // The new item is in service and in the guide; the changed one has a new version in service.
  await page.goto(itemUrl(file.codes.added));
  assert.match(await page.locator('p.muted').first().innerText(), /已发布/);
  await page.goto(itemUrl(file.codes.changed));
  assert.equal(await page.getByLabel('受理条件').inputValue(), file.conditions);
  assert.match(await page.locator('p.muted').first().innerText(), /已发布/);
  const guide = await newPage();
  assert.ok((await guideAnswers(guide, `导入新增事项72`)).includes('导入新增事项72'));
  await guide.context().close();
  await page.context().close();
});

test('only administrators may enter the catalog pages; the signed-out go to the login page', async () => {
  const pages = [
    '/console/catalog',
    '/console/catalog/new',
    '/console/catalog/synonyms',
    '/console/catalog/transfer',
    '/console/catalog/export?format=json',
    `/console/catalog/items/${ID_CARD.code}`,
  ];
  const anonymous = await newPage();
  for (const path of pages) {
    await anonymous.goto(server.base + path);
    assert.equal(anonymous.url(), server.base + '/console/login', `${path} sends the signed-out to log in`);
  }
  await anonymous.context().close();

  const supervisor = await newPage();
  await logIn(supervisor, 'supervisor');
  assert.equal(await supervisor.getByRole('link', { name: '服务事项目录' }).count(), 0, 'no catalog button');
  for (const path of pages) {
    const response = await supervisor.goto(server.base + path);
    assert.equal(response.status(), 403, `${path} is forbidden to a supervisor`);
  }
  await assertAccessible(supervisor, 'the 403 page');
  await supervisor.context().close();
});
