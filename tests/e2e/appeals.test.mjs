// Citizen appeals in a real browser (issue 9), used as people use them: a resident files an
// appeal on the portal and follows it by its number; the hotline operator takes a call in, finds
// the knowledge-base answer and closes a consultation on the spot; the dispatcher sends an appeal
// to 行政审批局 with 税务局 as co-unit; the lead unit's handler signs, is refused a reply while
// the co-unit works, the co-unit's part is handed in (by the admin, who acts for every unit), the
// lead replies, the dispatcher's return visit closes it and the resident sees the reply. Bad
// input: empty and 50,000-character content refused beside the form with the text kept; a script
// in the content shown as text. The same walk once in English, after the language switch. Every
// page is checked with axe and for untranslated keys.
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

const SPJ = '行政审批局';
const SWJ = '国家税务总局大连高新技术产业园区税务局';

const { newPage, staffPage, assertGood, button, submit, fact } = staffKit(() => browser, () => server);

/** The section of a unit's forms on an appeal's page. */
const unitSection = (page, heading) =>
  page.locator('section', { has: page.getByRole('heading', { name: heading }) });

let residentNumber; // the resident's appeal, followed at the end

test('a resident files an appeal on the portal and follows it by its number', async () => {
  const page = await newPage();
  await page.goto(server.base + '/');
  await page.getByRole('link', { name: '我要反映诉求' }).click();
  await page.waitForURL(server.base + '/appeal/new');
  await assertGood(page, '/appeal/new');
  await page.getByLabel('类型').selectOption({ label: '投诉' });
  await page.getByLabel('诉求分类').selectOption('CG0101');
  await page.getByLabel('诉求内容').fill('小区门口早市每天早上占道摆摊，车辆无法通行。');
  await page.getByLabel('地址（可不填）').fill('黄浦路 100 号');
  await page.getByLabel(/手机号码/).fill('13904110002');
  const res = await submit(page, button(page, '提交诉求'));
  assert.equal(res.status(), 200);
  residentNumber = await page.locator('#appeal-number').innerText();
  assert.match(residentNumber, /^\d{8}-\d{6}$/);
  await assertGood(page, 'the filed notice');
  await page.getByRole('link', { name: '查询办理进度' }).click();
  await page.waitForURL(/\/appeal\/track\?number=/);
  assert.equal(await fact(page, '状态'), '待派单');
  assert.match(await fact(page, '诉求分类'), /占道经营/);
  const body = await page.locator('main').innerText();
  assert.ok(!body.includes('13904110002') && !body.includes('黄浦路'), 'no personal data on the track page');
  await assertGood(page, '/appeal/track');
  // An unknown number says so.
  await page.getByRole('textbox', { name: '工单编号' }).fill('20000101-999999');
  const nf = await submit(page, button(page, '查询'));
  assert.equal(nf.status(), 404);
  assert.match(await page.locator('.error-summary').innerText(), /没有找到/);
});

test('bad input on the portal form is refused beside it, the text kept; a script is shown as text', async () => {
  const page = await newPage();
  await page.goto(server.base + '/appeal/new');
  await page.getByLabel('地址（可不填）').fill('凌水街道');
  let res = await submit(page, button(page, '提交诉求'));
  assert.equal(res.status(), 422);
  assert.match(await page.locator('.error-summary').innerText(), /诉求内容|内容/);
  assert.equal(await page.getByLabel('地址（可不填）').inputValue(), '凌水街道');
  await assertGood(page, 'the refused empty appeal');

  const long = '长'.repeat(50_000);
  await page.getByLabel('诉求内容').fill(long);
  res = await submit(page, button(page, '提交诉求'));
  assert.equal(res.status(), 422);
  assert.match(await page.locator('.error-summary').innerText(), /5000/);
  assert.equal((await page.getByLabel('诉求内容').inputValue()).length, 50_000);

  // A script in the content is stored and shown as text to the staff.
  let dialogs = 0;
  const script = '<script>alert(1)</script><img src=x onerror=alert(2)>';
  await page.getByLabel('诉求内容').fill(script);
  res = await submit(page, button(page, '提交诉求'));
  assert.equal(res.status(), 200);
  const number = await page.locator('#appeal-number').innerText();
  const staff = await staffPage('dispatcher');
  staff.on('dialog', (d) => {
    dialogs++;
    d.dismiss();
  });
  await staff.goto(server.base + '/console/appeals?tab=registered');
  await staff.getByRole('link', { name: number }).click();
  await staff.waitForURL(/\/console\/appeals\/\d+$/);
  assert.equal(await staff.locator('.appeal-content').innerText(), script);
  assert.equal(dialogs, 0);
  await assertGood(staff, 'an appeal with a script in it');
});

test('the operator finds the knowledge answer and closes a consultation on the spot', async () => {
  const page = await staffPage('dispatcher');
  await page.getByRole('link', { name: '12345 接件' }).click();
  await page.waitForURL(server.base + '/console/appeals/intake');
  await assertGood(page, '/console/appeals/intake');
  await page.getByLabel('类型').selectOption({ label: '咨询' });
  await page.getByLabel('诉求分类').selectOption('GA0303');
  await page.getByLabel('诉求内容').fill('居住证怎么办理');
  await page.getByLabel('来电人称呼').fill('刘女士');
  await submit(page, button(page, '查找答案'));
  const answers = page.locator('fieldset.answers');
  assert.match(await answers.innerText(), /居住证怎么办理？/);
  assert.equal(await page.getByLabel('诉求内容').inputValue(), '居住证怎么办理', 'the text is kept');
  assert.equal(await page.getByLabel('来电人称呼').inputValue(), '刘女士');
  await assertGood(page, 'the intake with answers');
  await page.getByLabel('居住证怎么办理？').check();
  const res = await submit(page, button(page, '当场答复并办结'));
  assert.equal(res.status(), 200);
  const notice = await page.locator('.notice').innerText();
  const number = notice.match(/\d{8}-\d{6}/)[0];
  assert.match(notice, /当场答复并办结/);
  await page.goto(`${server.base}/appeal/track?number=${number}`);
  assert.equal(await fact(page, '状态'), '已办结');
  assert.match(await fact(page, '答复'), /居住登记/);

  // A complaint cannot be closed on the spot.
  await page.goto(server.base + '/console/appeals/intake');
  await page.getByLabel('类型').selectOption({ label: '投诉' });
  await page.getByLabel('诉求内容').fill('居住证办理窗口排队太久');
  await submit(page, button(page, '查找答案'));
  await page.getByLabel('或输入答复内容').fill('已记录');
  const refused = await submit(page, button(page, '当场答复并办结'));
  assert.equal(refused.status(), 422);
  assert.match(await page.locator('.error-summary').innerText(), /咨询/);
  assert.equal(await page.getByLabel('诉求内容').inputValue(), '居住证办理窗口排队太久');
});

test('joint handling: dispatch to 审批局 with 税务局, sign, refused reply, contribution, reply, visit, and the resident sees it', async () => {
  // The dispatcher dispatches the resident's appeal.
  const disp = await staffPage('dispatcher');
  await disp.getByRole('link', { name: '诉求工单' }).click();
  await disp.waitForURL(server.base + '/console/appeals');
  await assertGood(disp, '/console/appeals');
  await disp.getByRole('link', { name: residentNumber }).click();
  await disp.waitForURL(/\/console\/appeals\/\d+$/);
  const url = disp.url();
  await assertGood(disp, 'the appeal before dispatch');
  await disp.getByLabel('主办单位').selectOption({ label: SPJ });
  for (const box of await disp.locator('input[name="co"]:checked').all()) await box.uncheck();
  await disp.getByLabel(SWJ, { exact: true }).check();
  let res = await submit(disp, button(disp, '派单'));
  assert.equal(res.status(), 200);
  assert.match(await disp.locator('.notice').innerText(), /已派单/);
  assert.equal(await disp.locator('h1 .tag').first().innerText(), '待签收');
  const parts = await disp.locator('table').first().innerText();
  assert.match(parts, new RegExp(`${SPJ}\\s+主办`));
  assert.match(parts, new RegExp(`${SWJ}\\s+协办`));
  for (const tab of ['被退回', '办理中', '待回访', '已办结']) {
    await disp.goto(server.base + '/console/appeals');
    await disp.getByRole('link', { name: tab, exact: true }).click();
    await assertGood(disp, `the ${tab} list`);
  }

  // The lead unit's handler signs, and is refused a reply while the co-unit works.
  const spj = await staffPage('handler.spj');
  await spj.getByRole('link', { name: '我的工单' }).click();
  await spj.waitForURL(server.base + '/console/appeals/mine');
  await assertGood(spj, '/console/appeals/mine');
  assert.match(await spj.locator('table').innerText(), new RegExp(residentNumber));
  await spj.getByRole('link', { name: residentNumber }).click();
  await spj.waitForURL(url);
  await submit(spj, button(spj, '签收'));
  assert.match(await spj.locator('.notice').innerText(), /已签收/);
  assert.equal(await spj.locator('h1 .tag').first().innerText(), '办理中');
  await assertGood(spj, 'the signed appeal');
  const replyText = '已责成属地执法队伍清理占道摊点，并设置临时疏导点。';
  await spj.getByLabel('办理结果（答复诉求人）').fill(replyText);
  res = await submit(spj, button(spj, '答复'));
  assert.equal(res.status(), 422);
  assert.match(await spj.locator('.error-summary').innerText(), /1 个协办单位未反馈/);
  assert.equal(await spj.getByLabel('办理结果（答复诉求人）').inputValue(), replyText, 'the reply is kept');
  await assertGood(spj, 'the refused reply');

  // The co-unit's part: the admin acts for every unit.
  const admin = await staffPage('admin');
  await admin.goto(url);
  const swj = unitSection(admin, `${SWJ} · 协办`);
  await submit(admin, swj.getByRole('button', { name: '签收', exact: true }));
  await unitSection(admin, `${SWJ} · 协办`).getByLabel('协办意见').fill('已核查相关商户的税务登记情况，无异常。');
  await submit(admin, unitSection(admin, `${SWJ} · 协办`).getByRole('button', { name: '提交协办意见' }));
  assert.match(await admin.locator('.notice').innerText(), /协办意见已提交/);
  await assertGood(admin, 'the contributed appeal');

  // Now the lead replies.
  await spj.goto(url);
  await spj.getByLabel('办理结果（答复诉求人）').fill(replyText);
  res = await submit(spj, button(spj, '答复'));
  assert.equal(res.status(), 200);
  assert.equal(await spj.locator('h1 .tag').first().innerText(), '已答复待回访');

  // The dispatcher's return visit closes it.
  await disp.goto(server.base + '/console/appeals?tab=replied');
  await disp.getByRole('link', { name: residentNumber }).click();
  await disp.waitForURL(url);
  await assertGood(disp, 'the appeal to visit');
  await disp.getByLabel('已解决', { exact: true }).check();
  await disp.getByLabel('满意度').selectOption('5');
  await disp.getByLabel('回访备注').fill('诉求人表示满意');
  res = await submit(disp, button(disp, '保存回访'));
  assert.equal(res.status(), 200);
  assert.equal(await disp.locator('h1 .tag').first().innerText(), '已办结');
  const history = await disp.locator('table').last().innerText();
  for (const step of ['受理', '派单', '签收', '协办反馈', '答复', '回访办结']) assert.match(history, new RegExp(step));

  // The resident sees the reply.
  const resident = await newPage();
  await resident.goto(`${server.base}/appeal/track?number=${residentNumber}`);
  assert.equal(await fact(resident, '状态'), '已办结');
  assert.equal(await fact(resident, '办理结果').then((t) => t.startsWith(replyText)), true);
  await assertGood(resident, 'the closed appeal on the track page');
});

test('in English: intake, dispatch, sign, reply and the visit, with English labels throughout', async () => {
  const disp = await staffPage('dispatcher');
  await disp.getByRole('link', { name: 'English' }).click();
  await disp.waitForURL(/lang=en/);
  assert.equal(await disp.getAttribute('html', 'lang'), 'en');
  await disp.getByRole('link', { name: '12345 intake' }).click();
  await disp.waitForURL(server.base + '/console/appeals/intake');
  assert.equal(await disp.locator('h1').innerText(), '12345 intake');
  await assertGood(disp, 'the intake in English');
  await disp.getByLabel('Type', { exact: true }).selectOption({ label: 'Complaint' });
  await disp.getByLabel('Topic', { exact: true }).selectOption('CG0101');
  await disp.getByLabel('Content', { exact: true }).fill('Street vendors block the pavement at the school gate every morning.');
  let res = await submit(disp, button(disp, 'Register the appeal'));
  assert.equal(res.status(), 200);
  const number = (await disp.locator('.notice').innerText()).match(/Registered; number (\d{8}-\d{6})/)[1];

  // The dispatcher's list and the appeal's page.
  await disp.getByRole('link', { name: 'Appeals', exact: true }).click();
  await disp.getByRole('link', { name: 'To dispatch', exact: true }).click();
  await assertGood(disp, 'the list in English');
  await disp.getByRole('link', { name: number, exact: true }).click();
  await disp.waitForURL(/\/console\/appeals\/\d+$/);
  const url = disp.url();
  assert.equal(await disp.locator('h1 .tag').first().innerText(), 'Waiting for dispatch');
  assert.match(await fact(disp, 'Filed'), /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$/, 'dates in ISO');
  assert.match(await fact(disp, 'Deadline'), /^\d{4}-\d{2}-\d{2}/);
  await assertGood(disp, 'the appeal in English');
  await disp.getByLabel('Lead unit').selectOption({ label: SPJ });
  for (const box of await disp.locator('input[name="co"]:checked').all()) await box.uncheck();
  res = await submit(disp, button(disp, 'Dispatch'));
  assert.equal(res.status(), 200);
  assert.equal(await disp.locator('.notice').innerText(), 'Dispatched.');
  assert.equal(await disp.locator('h1 .tag').first().innerText(), 'Waiting to be signed for');
  assert.match(await disp.locator('table').first().innerText(), new RegExp(`${SPJ}\\s+Lead`));

  // The lead unit's handler signs and replies, in English too.
  const spj = await staffPage('handler.spj');
  await spj.getByRole('link', { name: 'English' }).click();
  await spj.waitForURL(/lang=en/);
  await spj.getByRole('link', { name: "My unit's appeals" }).click();
  await assertGood(spj, 'my unit\'s appeals in English');
  await spj.getByRole('link', { name: number, exact: true }).click();
  await spj.waitForURL(url);
  await submit(spj, button(spj, 'Sign for it'));
  assert.equal(await spj.locator('.notice').innerText(), 'Signed for.');
  assert.equal(await spj.locator('h1 .tag').first().innerText(), 'In hand');
  assert.equal(await spj.getByRole('button', { name: 'Ask for an extension' }).count(), 1);
  await assertGood(spj, 'the signed appeal in English');
  await spj.getByLabel('Result (the reply to the caller)').fill('The vendors were moved to the market hall on Lingshui Road.');
  res = await submit(spj, button(spj, 'Reply'));
  assert.equal(res.status(), 200);
  assert.equal(await spj.locator('h1 .tag').first().innerText(), 'Replied, visit due');

  // The return visit closes it.
  await disp.goto(server.base + '/console/appeals?tab=replied');
  await disp.getByRole('link', { name: number, exact: true }).click();
  await disp.waitForURL(url);
  await disp.getByLabel('Resolved', { exact: true }).check();
  await disp.getByLabel('Satisfaction').selectOption('5');
  await disp.getByLabel('Note of the visit').fill('The caller is satisfied.');
  res = await submit(disp, button(disp, 'Record the visit'));
  assert.equal(res.status(), 200);
  assert.equal(await disp.locator('.notice').innerText(), 'Visit recorded.');
  assert.equal(await disp.locator('h1 .tag').first().innerText(), 'Closed');
  const history = await disp.locator('table').last().innerText();
  for (const step of ['Taken in', 'Dispatched', 'Signed for', 'Replied', 'Visited, closed']) assert.match(history, new RegExp(step));
  await assertGood(disp, 'the closed appeal in English');
  await Promise.all([disp.context().close(), spj.context().close()]);
});
