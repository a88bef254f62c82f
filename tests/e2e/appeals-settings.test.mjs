// The hotline's settings in a real browser, as administrators and dispatchers keep them: an
// administrator adds a leaf topic with its lead unit and the operator's intake lists it; a
// dispatcher adds a knowledge-base answer for it and the intake offers it as an instant answer
// for the caller's words; a dispatcher adds an automatic routing rule for the topic in 七贤岭街道
// and an appeal taken in there is dispatched to the street at once; an administrator changes
// the help limit and a new request for help gets the later deadline; a topic in use is not
// deleted. Refusals are shown beside the form with what was typed. Every page is checked with
// axe and for untranslated keys.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser } from './server.mjs';
import { staffKit } from './staff.mjs';

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

const CGJ = '城市管理局（综合行政执法局）';
const JJD = '大连市公安局交通警察支队高新园区大队';
const QXL = '七贤岭街道';
const TOPIC = '共享单车乱停放';

/** The code the administrator gave the new topic (set by the first test). */
let code;

const { newPage, staffPage, assertGood, button, submit, fact, notice, refusal } = staffKit(() => browser, () => server);




/** Opens the hotline settings from the appeals menu, then one of its pages by its tab. */
async function openSettings(page, tab) {
  await page.goto(server.base + '/console/appeals');
  await page.getByRole('link', { name: '热线设置', exact: true }).click();
  await page.waitForURL(server.base + '/console/appeals/settings/topics');
  if (tab !== '诉求分类目录') {
    await page.getByRole('link', { name: tab, exact: true }).click();
    await page.waitForURL(/\/console\/appeals\/settings\/\w+$/);
  }
  assert.equal(await page.locator('h1').innerText(), tab);
}

/** The operator registers an appeal on the intake console; its number. */
async function register(page, kind, topic, content) {
  await page.goto(server.base + '/console/appeals/intake');
  await page.getByLabel('类型').selectOption({ label: kind });
  await page.getByLabel('诉求分类').selectOption(topic);
  await page.getByLabel('诉求内容').fill(content);
  const res = await submit(page, button(page, '登记工单'));
  assert.equal(res.status(), 200);
  return (await notice(page)).match(/\d{8}-\d{6}/)[0];
}

/** An appeal's page found through the list by its number. */
async function openAppeal(page, number) {
  await page.goto(`${server.base}/console/appeals?tab=registered`);
  await page.getByRole('link', { name: number, exact: true }).click();
  await page.waitForURL(/\/console\/appeals\/\d+$/);
}

test('an administrator adds a leaf topic with its lead unit and the intake lists it', async () => {
  const admin = await staffPage('admin');
  await openSettings(admin, '诉求分类目录');
  await assertGood(admin, '/console/appeals/settings/topics');
  await admin.getByRole('link', { name: '在此下添加：市容环境' }).click();
  await admin.waitForURL(/parent=CG01/);
  assert.equal(await admin.getByLabel('上级分类').inputValue(), 'CG01');
  code = await admin.getByLabel('分类编码').inputValue();
  assert.match(code, /^CG01\d{2}$/, 'the next free code is proposed');

  // A code that does not fit its parent is refused beside the form, what was typed kept.
  await admin.getByLabel('分类编码').fill('CG99');
  await admin.getByLabel('分类名称').fill(TOPIC);
  await admin.getByLabel('主办单位').selectOption({ label: CGJ });
  await admin.getByText('部门', { exact: true }).click();
  await admin.getByLabel(JJD).check();
  await admin.getByLabel('常见诉求类型').selectOption({ label: '投诉' });
  await admin.getByLabel('常用说法').fill('共享单车、乱停放，堵门口');
  let res = await submit(admin, button(admin, '添加分类'));
  assert.equal(res.status(), 422);
  assert.match(await refusal(admin), /分类编码：一级分类为两个大写字母/);
  assert.equal(await admin.getByLabel('分类编码').inputValue(), 'CG99');
  assert.equal(await admin.getByLabel('分类名称').inputValue(), TOPIC);
  assert.equal(await admin.getByLabel(JJD).isChecked(), true, 'the co-unit is kept');
  assert.equal(await admin.getByLabel('常用说法').inputValue(), '共享单车、乱停放，堵门口');
  await assertGood(admin, 'the refused topic');

  await admin.getByLabel('分类编码').fill(code);
  res = await submit(admin, button(admin, '添加分类'));
  assert.equal(res.status(), 200);
  assert.equal(await notice(admin), `已添加分类：${TOPIC}（${code}）`);
  const item = admin.locator(`#t-${code}`);
  const line = await item.innerText();
  assert.match(line, new RegExp(`${code} ${TOPIC}`));
  assert.match(line, /主办单位：城市管理局（综合行政执法局）/);
  assert.match(line, /协办单位：大连市公安局交通警察支队高新园区大队/);
  assert.match(line, /常见诉求类型：投诉/);
  assert.match(line, /常用说法：共享单车、乱停放、堵门口/);

  // Its name is changed on its own form; the code stays.
  await item.getByRole('link', { name: `编辑：${TOPIC}` }).click();
  await admin.waitForURL(new RegExp(`edit=${code}`));
  await assertGood(admin, 'a leaf topic\'s form');
  assert.equal(await admin.getByLabel('分类编码').count(), 0, 'a code never changes');
  await admin.getByLabel('分类名称').fill('');
  res = await submit(admin, button(admin, '保存分类'));
  assert.equal(res.status(), 422);
  assert.match(await refusal(admin), /名称：长度应为 1-50 个字/);
  await admin.getByLabel('分类名称').fill(TOPIC);
  res = await submit(admin, button(admin, '保存分类'));
  assert.equal(await notice(admin), `已保存分类：${TOPIC}（${code}）`);

  // The hotline operator's intake lists it under its branch.
  await admin.goto(server.base + '/console/appeals/intake');
  const option = admin.locator('#i-topic optgroup[label="城市管理 › 市容环境"] option', { hasText: TOPIC });
  assert.equal(await option.getAttribute('value'), code);

  // A dispatcher reads the tree and has no form.
  const disp = await staffPage('dispatcher');
  await openSettings(disp, '诉求分类目录');
  assert.match(await disp.locator('main').innerText(), /只有管理员可以修改分类目录/);
  assert.equal(await disp.getByRole('button', { name: '添加分类' }).count(), 0);
  assert.match(await disp.locator(`#t-${code}`).innerText(), new RegExp(TOPIC));
  await assertGood(disp, 'the topic tree read by a dispatcher');
  await Promise.all([admin.context().close(), disp.context().close()]);
});

test('a dispatcher adds a knowledge-base answer and the intake offers it for the caller\'s words', async () => {
  const disp = await staffPage('dispatcher');
  await openSettings(disp, '知识库');
  await assertGood(disp, '/console/appeals/settings/knowledge');
  const question = '共享单车堵在小区门口没人管怎么办？';
  const answer = '城管部门会通知共享单车运营企业在2小时内清运，您也可以在单车App里举报乱停放。';
  // Without a topic it is refused, what was typed kept.
  await disp.getByLabel('问题（来电人的问法）').fill(question);
  await disp.getByLabel('答复', { exact: true }).fill(answer);
  await disp.getByLabel('常用说法').fill('共享单车，堵门口');
  let res = await submit(disp, button(disp, '添加条目'));
  assert.equal(res.status(), 422);
  assert.match(await refusal(disp), /请选择所属分类/);
  assert.equal(await disp.getByLabel('问题（来电人的问法）').inputValue(), question);
  assert.equal(await disp.getByLabel('答复', { exact: true }).inputValue(), answer);
  await assertGood(disp, 'the refused entry');
  await disp.getByLabel('所属分类').selectOption(code);
  res = await submit(disp, button(disp, '添加条目'));
  assert.equal(res.status(), 200);
  assert.equal(await notice(disp), `已添加知识库条目：${question}`);
  assert.match(disp.url(), new RegExp(`topic=${code}`), 'the list shows the entry\'s topic');
  assert.equal(await disp.getByLabel('按分类筛选').inputValue(), code);
  const entries = await disp.locator('section[aria-labelledby="entries-h"]').innerText();
  assert.match(entries, new RegExp(`城市管理 › 市容环境 › ${TOPIC}`));
  assert.match(entries, /共 1 条/);
  assert.match(entries, /2小时内清运/);
  assert.match(entries, /常用说法：共享单车、堵门口/);
  await assertGood(disp, 'the knowledge base filtered to the new topic');
  // The filter by a branch stays in the address.
  await disp.getByLabel('按分类筛选').selectOption('CG');
  await submit(disp, button(disp, '筛选'));
  assert.match(disp.url(), /topic=CG$/);
  assert.match(await disp.locator('main').innerText(), new RegExp(question));

  // The operator's intake offers it for the caller's words.
  await disp.goto(server.base + '/console/appeals/intake');
  await disp.getByLabel('诉求内容').fill('我家楼下好多共享单车堵门口，出不去');
  await submit(disp, button(disp, '查找答案'));
  const answers = disp.locator('fieldset.answers');
  assert.match(await answers.innerText(), new RegExp(`${question}[\\s\\S]*2小时内清运`));
  await assertGood(disp, 'the intake with the new answer');
  await disp.context().close();
});

test('a dispatcher adds an automatic routing rule and an appeal taken in there goes to 七贤岭街道', async () => {
  const disp = await staffPage('dispatcher');
  await openSettings(disp, '分派规则');
  await assertGood(disp, '/console/appeals/settings/routes');
  // Without a lead unit it is refused, the choices kept.
  await disp.getByLabel('诉求分类（或整个分支）').selectOption(code);
  await disp.getByLabel('区域').selectOption({ label: QXL });
  await disp.getByLabel('受理时自动派单（不经派单员）').check();
  await disp.getByLabel('说明').fill('共享单车由属地街道牵头清理');
  let res = await submit(disp, button(disp, '添加规则'));
  assert.equal(res.status(), 422);
  assert.match(await refusal(disp), /请选择主办单位/);
  assert.equal(await disp.getByLabel('诉求分类（或整个分支）').inputValue(), code);
  assert.equal(await disp.getByLabel('受理时自动派单（不经派单员）').isChecked(), true);
  await assertGood(disp, 'the refused rule');
  await disp.getByLabel('主办单位').selectOption({ label: QXL });
  await disp.getByText('部门', { exact: true }).click();
  await disp.getByLabel(CGJ).check();
  res = await submit(disp, button(disp, '添加规则'));
  assert.equal(res.status(), 200);
  assert.equal(await notice(disp), `已添加分派规则：城市管理 › 市容环境 › ${TOPIC}（${code}）`);
  const row = disp.locator('tr', { hasText: TOPIC });
  assert.match(await row.innerText(), new RegExp(`${QXL}\\s+${QXL}\\s+${CGJ}\\s+自动派单\\s+共享单车由属地街道牵头清理`));
  await assertGood(disp, 'the rules with the new one');
  // The same topic and area again: the store's words.
  await disp.getByLabel('诉求分类（或整个分支）').selectOption(code);
  await disp.getByLabel('区域').selectOption({ label: QXL });
  await disp.getByLabel('主办单位').selectOption({ label: QXL });
  res = await submit(disp, button(disp, '添加规则'));
  assert.equal(res.status(), 422);
  assert.match(await refusal(disp), /在这个区域已有分派规则/);

  // An appeal near 七贤岭街道's office (the intake form takes no coordinates: the API does).
  const taken = await disp.evaluate(async (topic) => {
    const res = await fetch('/api/v1/appeals', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        kind: 'complaint', topic, content: '聚贤街上共享单车乱停放，堵住了小区门口。',
        address: '七贤岭街道聚贤街', lat: 38.8615, lng: 121.525,
      }),
    });
    return { status: res.status, body: await res.json() };
  }, code);
  assert.equal(taken.status, 201);
  await disp.goto(`${server.base}/console/appeals/${taken.body.id}`);
  assert.equal(await disp.locator('h1 .tag').first().innerText(), '待签收');
  const parts = await disp.locator('table[aria-labelledby="parts-h"]').innerText();
  assert.match(parts, new RegExp(`${QXL}\\s+主办`));
  assert.match(parts, new RegExp(`${CGJ}\\s+协办`));
  await assertGood(disp, 'the appeal dispatched by the rule');

  // The same topic without a location is left to the dispatcher.
  const number = await register(disp, '投诉', code, '共享单车乱停放，位置不详。');
  await openAppeal(disp, number);
  assert.equal(await disp.locator('h1 .tag').first().innerText(), '待派单');

  // A supervisor reads the rules and has no form.
  const sup = await staffPage('supervisor');
  await openSettings(sup, '分派规则');
  assert.match(await sup.locator('tr', { hasText: TOPIC }).innerText(), /自动派单/);
  assert.equal(await sup.getByRole('button', { name: '添加规则' }).count(), 0);
  await assertGood(sup, 'the rules read by a supervisor');
  await Promise.all([disp.context().close(), sup.context().close()]);
});

test('an administrator changes the help limit and a new request for help gets the later deadline', async () => {
  const disp = await staffPage('dispatcher');
  const before = await register(disp, '求助', 'CG0101', '路边井盖松动，请尽快修好。');
  await openAppeal(disp, before);
  const dueBefore = await fact(disp, '办理期限');

  const admin = await staffPage('admin');
  await openSettings(admin, '办理时限');
  await assertGood(admin, '/console/appeals/settings/limits');
  assert.equal(await admin.getByLabel('求助办理时限').inputValue(), '5');
  await admin.getByLabel('求助办理时限').fill('0');
  let res = await submit(admin, button(admin, '保存时限'));
  assert.equal(res.status(), 422);
  assert.match(await refusal(admin), /求助办理时限：应在 1-60 之间/);
  assert.equal(await admin.getByLabel('求助办理时限').inputValue(), '0', 'what was typed is kept');
  assert.equal(await admin.getByLabel('求助办理时限').getAttribute('aria-invalid'), 'true');
  await assertGood(admin, 'the refused limit');
  await admin.getByLabel('求助办理时限').fill('十');
  res = await submit(admin, button(admin, '保存时限'));
  assert.equal(res.status(), 422);
  assert.match(await refusal(admin), /求助办理时限：请填写 1 到 60 之间的整数/);
  await admin.getByLabel('求助办理时限').fill('10');
  res = await submit(admin, button(admin, '保存时限'));
  assert.equal(res.status(), 200);
  assert.match(await notice(admin), /已保存办理时限/);
  assert.equal(await admin.getByLabel('求助办理时限').inputValue(), '10');

  // The dispatcher reads the new limit; a new request for help is due later.
  await openSettings(disp, '办理时限');
  assert.match(await disp.locator('#limit-help').innerText(), /^10 个工作日/);
  assert.equal(await disp.getByRole('button', { name: '保存时限' }).count(), 0);
  await assertGood(disp, 'the limits read by a dispatcher');
  const after = await register(disp, '求助', 'CG0101', '小区路灯不亮，晚上走路看不见。');
  await openAppeal(disp, after);
  const dueAfter = await fact(disp, '办理期限');
  assert.ok(dueAfter > dueBefore, `${dueAfter} is later than ${dueBefore}`);
  // The earlier appeal keeps its deadline.
  await openAppeal(disp, before);
  assert.equal(await fact(disp, '办理期限'), dueBefore);
  await Promise.all([admin.context().close(), disp.context().close()]);
});

test('a topic in use is not deleted: the reason is shown on its form', async () => {
  const admin = await staffPage('admin');
  await admin.goto(`${server.base}/console/appeals/settings/topics?edit=${code}`);
  let asked = '';
  admin.on('dialog', async (d) => {
    asked = d.message();
    await d.accept();
  });
  const res = await submit(admin, button(admin, '删除分类'));
  assert.equal(asked, '确定要删除这个分类吗？', 'a confirmation before deleting');
  assert.equal(res.status(), 422);
  assert.match(await refusal(admin), /仍在使用，不能删除（下级分类\/工单\/知识库条目\/分派规则：0\/2\/1\/1）/);
  assert.equal(await admin.getByLabel('分类名称').inputValue(), TOPIC, 'the topic\'s form is shown again');
  await assertGood(admin, 'the refused delete');

  // A topic nothing refers to goes.
  await admin.goto(`${server.base}/console/appeals/settings/topics?parent=CG01`);
  const spare = await admin.getByLabel('分类编码').inputValue();
  await admin.getByLabel('分类名称').fill('临时分类');
  await submit(admin, button(admin, '添加分类'));
  await admin.locator(`#t-${spare}`).getByRole('link', { name: '编辑：临时分类' }).click();
  await admin.waitForURL(new RegExp(`edit=${spare}`));
  await submit(admin, button(admin, '删除分类'));
  assert.equal(await notice(admin), `已删除分类：临时分类（${spare}）`);
  assert.equal(await admin.locator(`#t-${spare}`).count(), 0);
  await admin.context().close();
});

test('the settings in English', async () => {
  const admin = await staffPage('admin');
  await admin.getByRole('link', { name: 'English' }).click();
  await admin.waitForURL(/lang=en/);
  for (const [path, heading] of [
    ['/console/appeals/settings/topics', 'Topic tree'],
    [`/console/appeals/settings/topics?edit=${code}`, 'Topic tree'],
    ['/console/appeals/settings/knowledge?topic=CG01', 'Knowledge base'],
    ['/console/appeals/settings/routes', 'Routing rules'],
    ['/console/appeals/settings/limits', 'Time limits'],
  ]) {
    const res = await admin.goto(server.base + path);
    assert.equal(res.status(), 200, path);
    assert.equal(await admin.locator('h1').innerText(), heading, path);
    await assertGood(admin, `${path} in English`);
  }
  await admin.getByLabel('Time for a request for help').fill('61');
  const res = await submit(admin, button(admin, 'Save limits'));
  assert.equal(res.status(), 422);
  assert.match(await refusal(admin), /Time for a request for help: must be within 1-60/);
  await admin.context().close();
});
