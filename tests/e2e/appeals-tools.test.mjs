// The dispatcher's and the supervisor's further tools on appeals in a real browser (issue 9), as
// people use them: a unit handler asks for more time and the dispatcher approves it (the
// deadline on the appeal's page moves); the dispatcher merges a duplicate into its master by the
// master's number and splits a matter out; a supervisor orders a unit to dispose first, the unit
// records what it did and what it cost in yuan, the supervisor settles ownership and finds the
// order in the ledger with the total; a supervisor lists a frequent topic for supervision, adds a
// note and delists it; "run now" makes look-back checks and the unit's handler completes one; a
// supervisor gives stars to a closed appeal and the unit's record shows them. Refusals are shown
// beside the form with what was typed. Every page is checked with axe and for untranslated keys.
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
const LS = '凌水街道';

const { newPage, staffPage, assertGood, button, submit, fact, notice, refusal } = staffKit(() => browser, () => server);



const statusTag = (page) => page.locator('h1 .tag').first().innerText();

/** A resident's appeal on the portal; its number. */
async function fileAppeal(content, topic = 'CG0101') {
  const page = await newPage();
  await page.goto(server.base + '/appeal/new');
  await page.getByLabel('类型').selectOption({ label: '投诉' });
  await page.getByLabel('诉求分类').selectOption(topic);
  await page.getByLabel('诉求内容').fill(content);
  await page.getByLabel(/手机号码/).fill('13904110003');
  await submit(page, button(page, '提交诉求'));
  const number = await page.locator('#appeal-number').innerText();
  await page.context().close();
  return number;
}

/** Opens an appeal from a list tab by its number; the appeal's address. */
async function openFromList(page, number, tab) {
  await page.goto(`${server.base}/console/appeals?tab=${tab}`);
  await page.getByRole('link', { name: number, exact: true }).click();
  await page.waitForURL(/\/console\/appeals\/\d+$/);
  return page.url();
}

/** The dispatcher sends the appeal to 行政审批局 alone; the appeal's address. */
async function dispatchToSpj(disp, number) {
  const url = await openFromList(disp, number, 'registered');
  await disp.getByLabel('主办单位').selectOption({ label: SPJ });
  for (const box of await disp.locator('input[name="co"]:checked').all()) await box.uncheck();
  await submit(disp, button(disp, '派单'));
  assert.equal(await statusTag(disp), '待签收');
  return url;
}

/** 行政审批局's handler signs for the appeal. */
async function signAsSpj(spj, url) {
  await spj.goto(url);
  await submit(spj, button(spj, '签收'));
  assert.equal(await statusTag(spj), '办理中');
}

test('a unit handler asks for more time and the dispatcher approves it: the deadline moves', async () => {
  const number = await fileAppeal('小区门口早市占道，申请延期测试。');
  const disp = await staffPage('dispatcher');
  const url = await dispatchToSpj(disp, number);
  const spj = await staffPage('handler.spj');
  await signAsSpj(spj, url);
  const before = await fact(spj, '办理期限');

  // A number of days that is not one is refused beside the form, the reason kept.
  const reason = '需要会同城管、市场监管现场复核，协调时间较长。';
  await spj.getByLabel('延长的工作日数（1–30）').fill('五天');
  await spj.getByLabel('延期理由').fill(reason);
  let res = await submit(spj, button(spj, '提交延期申请'));
  assert.equal(res.status(), 422);
  assert.match(await refusal(spj), /1 到 30 之间的整数/);
  assert.equal(await spj.getByLabel('延期理由').inputValue(), reason, 'the reason is kept');
  await assertGood(spj, 'the refused extension request');
  await spj.getByLabel('延长的工作日数（1–30）').fill('5');
  res = await submit(spj, button(spj, '提交延期申请'));
  assert.equal(res.status(), 200);
  assert.match(await notice(spj), /延期申请已提交/);
  assert.match(await spj.locator('main').innerText(), /已有延期申请在等待派单员审批/);
  assert.equal(await spj.getByRole('button', { name: '提交延期申请' }).count(), 0, 'one request at a time');
  await assertGood(spj, 'the appeal with a pending extension');

  // The dispatcher finds it through the lists' menu.
  await disp.goto(server.base + '/console/appeals');
  await disp.getByRole('link', { name: '延期申请', exact: true }).click();
  await disp.waitForURL(server.base + '/console/appeals/extensions');
  const card = disp.locator('section.answer-card', { hasText: number });
  assert.match(await card.innerText(), new RegExp(reason));
  assert.match(await card.innerText(), /待审批/);
  await assertGood(disp, '/console/appeals/extensions');
  // A refusal without a reason is refused.
  res = await submit(disp, card.getByRole('button', { name: '不予批准' }));
  assert.equal(res.status(), 422);
  assert.match(await refusal(disp), /不予批准须写明理由/);
  await assertGood(disp, 'the refused refusal');
  res = await submit(disp, disp.locator('section.answer-card', { hasText: number }).getByRole('button', { name: '批准延期' }));
  assert.equal(res.status(), 200);
  const approved = await notice(disp);
  assert.match(approved, new RegExp(`已批准工单 ${number} 延期，新期限 \\d{4}年\\d{2}月\\d{2}日`));
  assert.match(await disp.locator('main').innerText(), /没有待审批的延期申请/);

  // The deadline on the appeal's page moved to the new one, and the history says so.
  await spj.goto(url);
  const after = await fact(spj, '办理期限');
  assert.notEqual(after, before);
  assert.ok(approved.includes(after.slice(0, 11)), `${approved} names ${after}`);
  const ext = await spj.locator('table[aria-labelledby="ext-h"]').innerText();
  assert.match(ext, /已批准/);
  assert.match(await spj.locator('table').last().innerText(), /申请延期[\s\S]*延期已批准/);
  await assertGood(spj, 'the appeal after the extension');
  await Promise.all([disp.context().close(), spj.context().close()]);
});

test('the dispatcher merges a duplicate by the master\'s number and splits a matter out', async () => {
  const master = await fileAppeal('凌水路夜市油烟扰民，晚上十点后仍在营业。');
  const duplicate = await fileAppeal('凌水路夜市油烟很大，晚上十点以后还在营业。');
  const disp = await staffPage('dispatcher');
  const dupUrl = await openFromList(disp, duplicate, 'registered');
  await assertGood(disp, 'an appeal with the merge and split forms');

  // An unknown number is said beside the form, the number kept.
  await disp.getByLabel('主工单编号').fill('20000101-999999');
  let res = await submit(disp, button(disp, '合并到主工单'));
  assert.equal(res.status(), 422);
  assert.match(await refusal(disp), /没有编号为 20000101-999999 的工单/);
  assert.equal(await disp.getByLabel('主工单编号').inputValue(), '20000101-999999');
  // Itself is refused by the store's rule.
  await disp.getByLabel('主工单编号').fill(duplicate);
  res = await submit(disp, button(disp, '合并到主工单'));
  assert.equal(res.status(), 422);
  assert.match(await refusal(disp), /不能合并到工单自身/);
  await disp.getByLabel('主工单编号').fill(master);
  res = await submit(disp, button(disp, '合并到主工单'));
  assert.equal(res.status(), 200);
  assert.match(await notice(disp), new RegExp(`已合并到工单 ${master}`));
  assert.equal(await statusTag(disp), '已合并');
  assert.equal(await fact(disp, '已合并到'), master);
  assert.equal(await disp.getByRole('button', { name: '合并到主工单' }).count(), 0);
  await assertGood(disp, 'the merged duplicate');
  await disp.getByRole('link', { name: master, exact: true }).click();
  await disp.waitForURL(/\/console\/appeals\/\d+$/);
  assert.match(await disp.locator('table').last().innerText(), new RegExp(`并入重复件[\\s\\S]*${duplicate}`));

  // The master mentions a second matter: split it out as its own appeal.
  const masterUrl = disp.url();
  await disp.getByText('填写要拆分的事项').click();
  res = await submit(disp, button(disp, '拆分出新工单'));
  assert.equal(res.status(), 422);
  assert.match(await refusal(disp), /请至少填写一项/);
  const part = disp.locator('fieldset', { hasText: '事项 1' });
  await part.getByLabel('诉求类型').selectOption({ label: '投诉' });
  await part.getByLabel('诉求分类').selectOption('CG0104');
  await part.getByLabel('诉求内容').fill('夜市收摊后垃圾无人清运。');
  res = await submit(disp, button(disp, '拆分出新工单'));
  assert.equal(res.status(), 200);
  const split = (await notice(disp)).match(/已拆分出工单 (\d{8}-\d{6})/)[1];
  assert.notEqual(split, master);
  await disp.goto(`${server.base}/console/appeals?tab=registered`);
  await disp.getByRole('link', { name: split, exact: true }).click();
  await disp.waitForURL(/\/console\/appeals\/\d+$/);
  assert.equal(await fact(disp, '拆分自'), master);
  assert.match(await fact(disp, '诉求分类'), /垃圾清运不及时/);
  await assertGood(disp, 'the appeal split out');
  assert.notEqual(disp.url(), masterUrl);
  assert.notEqual(disp.url(), dupUrl);
  await disp.context().close();
});

test('dispose first: ordered, recorded with its cost in yuan, settled, and in the ledger with the total', async () => {
  const number = await fileAppeal('凌水河边护栏倒塌，随时可能有人落水，请立即处理。');
  const sup = await staffPage('supervisor');
  const url = await openFromList(sup, number, 'registered');
  await assertGood(sup, 'the appeal before an order');
  const instruction = '立即设置临时围挡并派人看守。';
  await sup.getByLabel('处置要求').fill(instruction);
  let res = await submit(sup, button(sup, '下达指令'));
  assert.equal(res.status(), 422);
  assert.match(await refusal(sup), /请选择处置单位/);
  assert.equal(await sup.getByLabel('处置要求').inputValue(), instruction, 'the instruction is kept');
  await sup.getByLabel('处置单位').selectOption({ label: LS });
  res = await submit(sup, button(sup, '下达指令'));
  assert.equal(res.status(), 200);
  assert.match(await notice(sup), /已下达先予处置指令/);
  assert.match(await sup.locator('section[aria-labelledby="dispose-h"]').innerText(), /凌水街道 待处置/);
  // A second order on the same appeal, for the total.
  await sup.getByLabel('处置单位').selectOption({ label: LS });
  await sup.getByLabel('处置要求').fill('清理河道漂浮物。');
  await submit(sup, button(sup, '下达指令'));

  // The sub-district's handler finds the orders from their own list.
  const ls = await staffPage('handler.ls');
  await ls.getByRole('link', { name: '我的工单' }).click();
  await ls.getByRole('link', { name: /待处置的先予处置指令（2）/ }).click();
  await ls.waitForURL(server.base + '/console/appeals/orders');
  await assertGood(ls, '/console/appeals/orders');
  const first = ls.locator('section.answer-card', { hasText: instruction });
  assert.match(await first.innerText(), new RegExp(number));
  const action = '已设置围挡 30 米，安排 2 人值守。';
  await first.getByLabel('处置情况（做了什么）').fill(action);
  for (const [typed, said] of [
    ['12.345', /最多两位小数/],
    ['一万二', /请只填写金额数字/],
    ['-5', /请只填写金额数字/],
    ['', /没有费用填 0/],
    ['200000000', /最多登记 1 亿元/],
  ]) {
    const card = ls.locator('section.answer-card', { hasText: instruction });
    await card.getByLabel(/处置费用/).fill(typed);
    res = await submit(ls, card.getByRole('button', { name: '登记处置情况' }));
    assert.equal(res.status(), 422, typed);
    assert.match(await refusal(ls), said, typed);
    const kept = ls.locator('section.answer-card', { hasText: instruction });
    assert.equal(await kept.getByLabel('处置情况（做了什么）').inputValue(), action, 'what was done is kept');
    assert.equal(await kept.getByLabel(/处置费用/).inputValue(), typed, 'the cost is kept as typed');
  }
  await assertGood(ls, 'the refused cost');
  let card = ls.locator('section.answer-card', { hasText: instruction });
  await card.getByLabel(/处置费用/).fill('12345.67');
  res = await submit(ls, card.getByRole('button', { name: '登记处置情况' }));
  assert.equal(res.status(), 200);
  assert.match(await notice(ls), new RegExp(`已登记工单 ${number} 的处置情况`));
  card = ls.locator('section.answer-card', { hasText: instruction });
  assert.match(await card.innerText(), /已处置，待认定责任/);
  assert.equal(await card.getByLabel(/处置费用/).inputValue(), '12345.67', 'the cost comes back exactly');
  const second = ls.locator('section.answer-card', { hasText: '清理河道漂浮物' });
  await second.getByLabel('处置情况（做了什么）').fill('已打捞漂浮物。');
  await second.getByLabel(/处置费用/).fill('¥0.33');
  await submit(ls, second.getByRole('button', { name: '登记处置情况' }));
  // The ordered unit reads the appeal, though it was never dispatched to it.
  await ls.locator('section.answer-card', { hasText: instruction }).getByRole('link', { name: number }).click();
  await ls.waitForURL(url);
  assert.match(await ls.locator('.appeal-content').innerText(), /护栏倒塌/);
  await assertGood(ls, 'the appeal read by the ordered unit');

  // The supervisor settles ownership on the appeal's page.
  await sup.goto(url);
  const order = sup.locator('.answer-card', { hasText: instruction });
  assert.match(await order.innerText(), /12,345\.67 元/);
  res = await submit(sup, order.getByRole('button', { name: '认定责任' }));
  assert.equal(res.status(), 422);
  assert.match(await refusal(sup), /请选择责任单位/);
  const settle = sup.locator('.answer-card', { hasText: instruction });
  await settle.getByLabel('责任单位').selectOption({ label: LS });
  await settle.getByLabel('责任认定').fill('河道护栏属凌水街道管护，由街道承担。');
  res = await submit(sup, settle.getByRole('button', { name: '认定责任' }));
  assert.equal(res.status(), 200);
  assert.match(await notice(sup), /已认定责任/);
  assert.match(await sup.locator('.answer-card', { hasText: instruction }).innerText(), /已认定责任[\s\S]*河道护栏属凌水街道管护/);
  await assertGood(sup, 'the settled order');

  // The ledger: this year by default, both orders, the total to the fen.
  await sup.goto(server.base + '/console');
  await sup.getByRole('link', { name: '先予处置台账' }).click();
  await sup.waitForURL(server.base + '/console/appeals/ledger');
  const summary = await sup.locator('#ledger-summary').innerText();
  assert.match(summary, /共 2 条，费用合计 12,346\.00 元/);
  const rows = await sup.locator('tbody').innerText();
  assert.match(rows, new RegExp(`${number}[\\s\\S]*12,345\\.67 元[\\s\\S]*已认定责任`));
  assert.match(rows, /0\.33 元[\s\S]*已处置，待认定责任/);
  await assertGood(sup, '/console/appeals/ledger');
  // The CSV has the same orders.
  const csv = await sup.evaluate(async (href) => (await fetch(href)).text(), await sup.getByRole('link', { name: '下载 CSV' }).getAttribute('href'));
  assert.match(csv, /12345\.67/);
  assert.match(csv, /合计,+12346\.00/);
  // A reversed range is said, and the range is kept in the form.
  await sup.getByLabel('开始日期').fill('2026-12-31');
  await sup.getByLabel('结束日期').fill('2026-01-01');
  res = await submit(sup, button(sup, '查询'));
  assert.equal(res.status(), 422);
  assert.match(await refusal(sup), /结束日期不能早于开始日期/);
  assert.equal(await sup.getByLabel('开始日期').inputValue(), '2026-12-31');
  await assertGood(sup, 'the ledger with a reversed range');
  await Promise.all([sup.context().close(), ls.context().close()]);
});

test('a supervisor lists a frequent topic, adds a note and delists it', async () => {
  await fileAppeal('学校门口流动摊贩占道，孩子上学不安全。');
  const sup = await staffPage('supervisor');
  await sup.getByRole('link', { name: '挂牌督办', exact: true }).click();
  await sup.waitForURL(server.base + '/console/appeals/supervision');
  await assertGood(sup, '/console/appeals/supervision');
  // The configured threshold (100) finds nothing in this young district: lower it.
  assert.match(await sup.locator('section[aria-labelledby="frequent-h"]').innerText(), /没有达到这个件数的类别/);
  await sup.getByLabel('件数不少于').fill('0');
  let res = await submit(sup, button(sup, '筛选'));
  assert.equal(res.status(), 422);
  assert.match(await sup.locator('section[aria-labelledby="frequent-h"] .field-error').innerText(), /不小于 1/);
  await sup.getByLabel('件数不少于').fill('1');
  await submit(sup, button(sup, '筛选'));
  assert.match(sup.url(), /threshold=1/, 'the filter stays in the address');
  const row = sup.locator('tr', { hasText: '占道经营' });
  assert.match(await row.innerText(), /未挂牌/);
  await assertGood(sup, 'the frequent topics');
  await row.getByRole('link', { name: '挂牌督办：占道经营' }).click();
  await sup.waitForURL(/topic=CG0101/);
  assert.equal(await sup.getByLabel('诉求类别', { exact: true }).inputValue(), 'CG0101');
  assert.equal(
    await sup.getByLabel('责任单位', { exact: true }).locator('option:checked').innerText(),
    '城市管理局（综合行政执法局）',
    'the topic\'s usual lead unit is proposed',
  );
  res = await submit(sup, button(sup, '挂牌'));
  assert.equal(res.status(), 200);
  assert.match(await notice(sup), /已挂牌督办：占道经营/);
  const listing = () => sup.locator('section.answer-card', { has: sup.getByRole('heading', { name: /占道经营/ }) });
  assert.match(await listing().innerText(), /督办中[\s\S]*督查员选定/);
  assert.match(await listing().innerText(), /城市管理局/);
  // Listed twice is refused by the store's rule.
  await sup.goto(server.base + '/console/appeals/supervision?topic=CG0101');
  res = await submit(sup, button(sup, '挂牌'));
  assert.equal(res.status(), 422);
  assert.match(await refusal(sup), /正在挂牌督办中/);

  // A note too short is refused beside the listing, then a note, then the delisting.
  await listing().getByLabel('进展说明').fill('好');
  res = await submit(sup, listing().getByRole('button', { name: '添加进展' }));
  assert.equal(res.status(), 422);
  assert.match(await listing().locator('.field-error').innerText(), /进展说明：长度应为 2-2000 个字/);
  assert.equal(await listing().getByLabel('进展说明').inputValue(), '好');
  await listing().getByLabel('进展说明').fill('城管局已在学校周边增派巡查力量。');
  await submit(sup, listing().getByRole('button', { name: '添加进展' }));
  assert.match(await notice(sup), /已添加督办进展/);
  assert.match(await listing().innerText(), /增派巡查力量/);
  await assertGood(sup, 'a listing with a note');
  await listing().getByLabel('督办结果（摘牌时填写）').fill('周边摊贩已全部清理，设立便民疏导点。');
  await submit(sup, listing().getByRole('button', { name: '摘牌' }));
  assert.match(await notice(sup), /已摘牌：占道经营/);
  assert.match(await listing().innerText(), /已摘牌[\s\S]*设立便民疏导点/);
  assert.equal(await listing().getByRole('button', { name: '摘牌' }).count(), 0);
  await assertGood(sup, 'the delisted listing');
  await sup.context().close();
});

test('"run now" makes look-back checks and the unit\'s handler completes one', async () => {
  // An appeal the return visit finds unresolved gets a check of the reason.
  const number = await fileAppeal('小区供暖不热，室温只有 15 度。');
  const disp = await staffPage('dispatcher');
  const url = await dispatchToSpj(disp, number);
  const spj = await staffPage('handler.spj');
  await signAsSpj(spj, url);
  await spj.getByLabel('办理结果（答复诉求人）').fill('已联系供热公司上门排查管道。');
  await submit(spj, button(spj, '答复'));
  await openFromList(disp, number, 'replied');
  await disp.getByLabel('未解决', { exact: true }).check();
  await disp.getByLabel('满意度').selectOption('2');
  await submit(disp, button(disp, '保存回访'));
  assert.equal(await statusTag(disp), '办理中', 'reopened');

  const sup = await staffPage('supervisor');
  await sup.getByRole('link', { name: '回头看', exact: true }).click();
  await sup.waitForURL(server.base + '/console/appeals/checks');
  await assertGood(sup, '/console/appeals/checks before a run');
  let res = await submit(sup, button(sup, '立即生成'));
  assert.equal(res.status(), 200);
  assert.match(await notice(sup), /原因核查 [1-9]\d* 项/);
  const row = sup.locator('tr', { hasText: number });
  assert.match(await row.innerText(), /未解决原因核查[\s\S]*行政审批局[\s\S]*待核查/);
  assert.equal(await row.getByRole('button').count(), 0, 'the supervisor reads, the unit completes');
  await assertGood(sup, '/console/appeals/checks after a run');
  // Run again: nothing new for the same appeal.
  await submit(sup, button(sup, '立即生成'));
  assert.equal(await sup.locator('tr', { hasText: number }).count(), 1);

  await spj.goto(server.base + '/console/appeals/mine');
  await spj.getByRole('link', { name: /待核查的回头看任务（\d+）/ }).click();
  await spj.waitForURL(server.base + '/console/appeals/checks');
  await assertGood(spj, 'the handler\'s checks');
  let mine = spj.locator('tr', { hasText: number });
  await mine.getByLabel('发现问题', { exact: true }).check();
  res = await submit(spj, mine.getByRole('button', { name: '提交核查结果' }));
  assert.equal(res.status(), 422);
  assert.match(await refusal(spj), /发现问题时须写明核查说明/);
  mine = spj.locator('tr', { hasText: number });
  assert.equal(await mine.getByLabel('发现问题', { exact: true }).isChecked(), true, 'the outcome is kept');
  await mine.getByLabel('确认无问题', { exact: true }).check();
  await mine.getByLabel(/核查说明/).fill('供热公司已更换阀门，室温恢复到 20 度。');
  res = await submit(spj, mine.getByRole('button', { name: '提交核查结果' }));
  assert.equal(res.status(), 200);
  assert.match(await notice(spj), new RegExp(`已提交工单 ${number} 的核查结果`));
  await spj.getByRole('link', { name: '全部', exact: true }).click();
  assert.match(await spj.locator('tr', { hasText: number }).innerText(), /已核查：无问题[\s\S]*更换阀门/);
  await assertGood(spj, 'the completed check');
  await Promise.all([disp.context().close(), spj.context().close(), sup.context().close()]);
});

test('a supervisor gives stars to a closed appeal and the unit\'s record shows them', async () => {
  const number = await fileAppeal('营业执照变更办理很快，窗口服务很好。');
  const disp = await staffPage('dispatcher');
  const url = await dispatchToSpj(disp, number);
  const spj = await staffPage('handler.spj');
  await signAsSpj(spj, url);
  await spj.getByLabel('办理结果（答复诉求人）').fill('感谢您的肯定，我们将继续做好服务。');
  await submit(spj, button(spj, '答复'));
  await openFromList(disp, number, 'replied');
  await disp.getByLabel('已解决', { exact: true }).check();
  await disp.getByLabel('满意度').selectOption('5');
  await submit(disp, button(disp, '保存回访'));
  assert.equal(await statusTag(disp), '已办结');
  assert.equal(await disp.getByRole('button', { name: '保存评价' }).count(), 0, 'stars are the supervisor\'s');

  const sup = await staffPage('supervisor');
  await sup.goto(url);
  await assertGood(sup, 'a closed appeal with the stars form');
  await sup.getByLabel('评价说明').fill('响应迅速，答复规范。');
  let res = await submit(sup, button(sup, '保存评价'));
  assert.equal(res.status(), 422);
  assert.match(await refusal(sup), /请选择星级/);
  assert.equal(await sup.getByLabel('评价说明').inputValue(), '响应迅速，答复规范。');
  await sup.getByLabel('星级', { exact: true }).selectOption({ label: '★★★★★ 5 星' });
  res = await submit(sup, button(sup, '保存评价'));
  assert.equal(res.status(), 200);
  assert.match(await notice(sup), /已保存星级评价/);
  assert.equal(await sup.locator('#appeal-stars').innerText(), '★★★★★ 5 星 · 响应迅速，答复规范。');
  assert.match(await sup.locator('table').last().innerText(), /星级评价/);
  await assertGood(sup, 'the starred appeal');

  // The supervisor chooses the unit; the unit's handler sees their own by default.
  await sup.goto(server.base + '/console/appeals/record');
  await assertGood(sup, '/console/appeals/record without a unit');
  await sup.getByLabel('单位', { exact: true }).selectOption({ label: SPJ });
  await submit(sup, button(sup, '查看'));
  assert.match(sup.url(), /unit=\d+/);
  for (const page of [sup, spj]) {
    if (page === spj) {
      await spj.goto(server.base + '/console/appeals/mine');
      await spj.getByRole('link', { name: '单位办件记录' }).click();
      await spj.waitForURL(server.base + '/console/appeals/record');
    }
    assert.match(await page.locator('main h2').first().innerText(), new RegExp(SPJ));
    assert.ok(Number(await page.locator('#record-closed').innerText()) >= 1);
    assert.equal(await page.locator('#record-starred').innerText(), '1');
    assert.equal(await page.locator('#record-average').innerText(), '5.00');
    const high = page.locator('table', { hasText: number });
    assert.match(await high.innerText(), /★★★★★ 5 星[\s\S]*响应迅速/);
    await assertGood(page, 'the unit\'s record');
  }
  await Promise.all([disp.context().close(), spj.context().close(), sup.context().close()]);
});

test('the tools\' pages in English, for the administrator who has them all', async () => {
  const admin = await staffPage('admin');
  await admin.getByRole('link', { name: 'English' }).click();
  await admin.waitForURL(/lang=en/);
  for (const [path, heading] of [
    ['/console/appeals/extensions', 'Extension requests'],
    ['/console/appeals/supervision?threshold=1', 'Listed supervision'],
    ['/console/appeals/ledger', 'Dispose-first ledger'],
    ['/console/appeals/orders', 'Dispose-first orders'],
    ['/console/appeals/checks?tab=all', 'Look-back checks'],
    ['/console/appeals/record', "Unit's record"],
  ]) {
    const res = await admin.goto(server.base + path);
    assert.equal(res.status(), 200, path);
    assert.equal(await admin.locator('h1').innerText(), heading, path);
    await assertGood(admin, `${path} in English`);
  }
  // Money and dates as English writes them.
  await admin.goto(server.base + '/console/appeals/ledger');
  assert.match(await admin.locator('#ledger-summary').innerText(), /^\d{4}-\d{2}-\d{2} to \d{4}-\d{2}-\d{2}: 2 orders, costs ¥12,346\.00 in total/);
  await admin.getByRole('link', { name: 'Unit\'s record' }).click();
  await admin.getByLabel('Unit', { exact: true }).selectOption({ label: SPJ });
  await submit(admin, button(admin, 'Show'));
  assert.match(await admin.locator('table', { hasText: '★' }).innerText(), /★★★★★ 5 of 5 stars/);
  await assertGood(admin, 'a unit\'s record in English');
  await admin.context().close();
});
