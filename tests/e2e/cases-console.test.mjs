// Cases (办件, issue 7) in the staff console, used as staff use them: the window clerk takes a
// walk-in's application for 企业变更登记 (市场监管局, not a bundle) with a PDF, sees what the
// machine checks found and accepts it; the department's reviewer finds it in the review queue,
// takes it up and asks for supplements at once (一次性告知) — the case waits for the applicant,
// a second open page of the same case is told it was handled meanwhile, and even the
// administrator cannot approve it while it waits (refused in place); a second case is approved,
// its result made, handed out at the window and closed; the supervisor's page shows the load
// per department and the figures; a resident's stuck matter (痛快办) is written down, taken and
// resolved with the case it became. Bad input: a walk-in form with a required field left empty
// is refused in place with the other values kept. Every page is checked with axe and for
// untranslated keys.
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

const { staffPage, assertGood: assertPage, button, submit, fact, notice, refusal } = staffKit(
  () => browser,
  () => server,
);

/** axe and the shared key check, and no key of cases (`case.…`, `cases.console.…`) shown raw. */
async function assertGood(page, what) {
  await assertPage(page, what);
  const text = await page.locator('body').innerText();
  const raw = text.match(/\bcases?\.[a-z_]+\.[a-z_.0-9]+/);
  assert.equal(raw, null, `untranslated key on ${what}: ${raw}`);
}

/** 企业变更登记: 市场监管局, handed out at the public service hall, three materials to bring. */
const ITEM = '210231-SCJ-XK-0003';
const COMPANY = '大连星海软件有限公司';

/** A tiny valid PDF: starts with %PDF- and ends with %%EOF. */
const PDF = Buffer.from('%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n');

/** Fills the walk-in form of ITEM (all but the fields named in `skip`). */
async function fillWalkIn(page, skip = []) {
  const fields = {
    '单位名称（必填）': COMPANY,
    '统一社会信用代码（必填）': '91350100M000100Y43',
    '法定代表人（必填）': '张伟',
    '法定代表人身份号码（必填）': '11010519491231002X',
    '联系电话（必填）': '13904110003',
  };
  for (const [label, value] of Object.entries(fields)) {
    if (!skip.includes(label)) await page.getByLabel(label, { exact: true }).fill(value);
  }
  await page.getByLabel('申请人手机号码（可不填）').fill('13904110003');
}

/** The walk-in form of ITEM, reached the way a clerk does: the desk, 窗口收件, the item's code. */
async function openWalkIn(page) {
  await page.goto(server.base + '/console/cases');
  await page.getByRole('link', { name: '窗口收件' }).first().click();
  await page.waitForURL(server.base + '/console/cases/new');
  await page.getByLabel('事项编码或名称').fill(ITEM);
  await submit(page, button(page, '下一步'));
  assert.match(page.url(), /\/console\/cases\/new\?item=/);
}

/** Submits a walk-in of ITEM with the application as a PDF; returns the case's page address. */
async function walkIn(page) {
  await openWalkIn(page);
  await fillWalkIn(page);
  await page.getByLabel('公司登记（备案）申请书（必填）').setInputFiles({
    name: '变更申请书.pdf',
    mimeType: 'application/pdf',
    buffer: PDF,
  });
  const res = await submit(page, button(page, '提交并预审'));
  assert.equal(res.status(), 200);
  assert.match(page.url(), /\/console\/cases\/\d+\?notice=/);
  return page.url().replace(/\?.*$/, '');
}

let first; // the case asked for supplements: { url, number }

test('the window clerk takes a walk-in with a PDF in, sees the checks and accepts it', async () => {
  const page = await staffPage('clerk.hall');
  await page.getByRole('link', { name: '窗口办件' }).click();
  await page.waitForURL(server.base + '/console/cases');
  await assertGood(page, '/console/cases (empty)');
  await openWalkIn(page);
  await assertGood(page, 'the walk-in form');
  // The e-licence replaces the business licence: nothing to bring.
  const licence = page.locator('.shared-material', { hasText: '营业执照' }).first();
  assert.match(await licence.innerText(), /免提交/);
  assert.match(await licence.innerText(), /电子营业执照库/);
  const url = await walkIn(page);
  const number = await page.locator('#case-number').innerText();
  assert.match(number, /^BJ\d{8}-\d{5}$/);
  assert.match(await notice(page), new RegExp(`已收件，办件编号 ${number}`));
  assert.equal(await fact(page, '状态'), '已提交，待受理');
  assert.match(await fact(page, '申请渠道'), /综合窗口/);
  assert.match(await fact(page, '申请人'), new RegExp(COMPANY));
  assert.match(await fact(page, '承办部门'), /市场监督管理局/);
  // The checks: the uploaded application passes, the resolution and articles are missing,
  // signatures need a person.
  const checks = page.locator('#checks');
  assert.match(await checks.innerText(), /公司登记（备案）申请书\s+材料齐全\s+✓ 通过\s+已上传/);
  assert.match(await checks.innerText(), /股东会决议或股东决定\s+材料齐全\s+✗ 未通过\s+未提供/);
  assert.match(await checks.innerText(), /需人工核验/);
  assert.match(await page.locator('#checks-summary').innerText(), /\d+ 项未通过 · \d+ 项需人工核验/);
  // The file is there to download; the licence is shared.
  const link = page.getByRole('link', { name: '变更申请书.pdf' });
  assert.match(await link.getAttribute('href'), /^\/api\/v1\/cases\/\d+\/files\/\d+$/);
  const file = await page.request.get(server.base + (await link.getAttribute('href')));
  assert.equal(file.status(), 200);
  assert.ok((await file.body()).toString().startsWith('%PDF-'));
  assert.match(await page.locator('table', { hasText: '营业执照' }).first().innerText(), /免提交\s+电子营业执照库/);
  // The form as filled in, with its labels.
  assert.match(await page.locator('table', { hasText: '统一社会信用代码' }).first().innerText(), /91350100M000100Y43/);
  await assertGood(page, 'a submitted case');

  // On the desk, waiting for acceptance, with the checks in a few words.
  await page.goto(server.base + '/console/cases');
  const row = page.locator('tr', { hasText: number });
  assert.match(await row.innerText(), /企业变更登记/);
  assert.match(await row.innerText(), /项未通过/);

  await page.goto(url);
  await submit(page, button(page, '受理'));
  assert.match(await notice(page), /已受理/);
  assert.equal(await fact(page, '状态'), '已受理，待审查');
  assert.match(await fact(page, '办结时限'), /正常|临期|超期/);
  assert.match(await page.locator('#timeline').innerText(), /提交[\s\S]*受理/);
  assert.match(await page.locator('#timeline').innerText(), /提交申请\s+clerk\.hall\s+综合窗口/);
  // Review is the department's: the clerk has no such button.
  assert.equal(await button(page, '批准').count(), 0);
  await assertGood(page, 'an accepted case');
  first = { url, number };
});

test('the reviewer takes it up and asks for supplements; a stale page and an early approval are refused in place', async () => {
  assert.ok(first, 'the first test made the case');
  const page = await staffPage('reviewer.scj');
  await page.getByRole('link', { name: '审查队列' }).click();
  await page.waitForURL(server.base + '/console/cases/review');
  await assertGood(page, '/console/cases/review');
  const row = page.locator('tr', { hasText: first.number });
  assert.match(await row.innerText(), /企业变更登记/);
  assert.match(await row.innerText(), /正常|临期|超期/);
  await row.getByRole('link', { name: first.number }).click();
  await page.waitForURL(first.url);
  await submit(page, button(page, '开始审查'));
  assert.equal(await fact(page, '状态'), '审查中');
  assert.match(await fact(page, '审查人'), /reviewer\.scj/);

  // A second page of the same case, left open.
  const stale = await page.context().newPage();
  await stale.goto(first.url);
  assert.equal(await button(stale, '批准').count(), 1);

  await page.getByLabel('需补正的材料或事项（每行一项）').fill('股东会决议原件\n章程修正案（法定代表人签字）');
  await submit(page, button(page, '一次性告知补正'));
  assert.match(await notice(page), /已一次性告知/);
  assert.equal(await fact(page, '状态'), '待补正（计时暂停）');
  assert.match(await fact(page, '一次性告知需补正'), /股东会决议原件\s+章程修正案/);
  assert.match(await fact(page, '办结时限'), /计时暂停中/);
  assert.equal(await button(page, '批准').count(), 0, 'no approval while it waits');
  await assertGood(page, 'a case waiting for supplements');
  await page.goto(server.base + '/console/cases/review?tab=supplementing');
  assert.match(await page.locator('main').innerText(), new RegExp(first.number));

  // The page left open is told the case was handled meanwhile.
  const res = await submit(stale, button(stale, '批准'));
  assert.equal(res.status(), 409);
  assert.match(await refusal(stale), /已被他人处理，请刷新/);
  await assertGood(stale, 'the stale approval');

  // The administrator may do everything, but not approve what waits for the applicant.
  const admin = await staffPage('admin');
  const csrf = await admin.locator('input[name=csrf]').first().inputValue();
  await admin.goto(first.url);
  assert.equal(await button(admin, '批准').count(), 0);
  assert.match(await admin.locator('main').innerText(), /正在等待申请人补齐材料/);
  await admin.evaluate(({ csrf }) => {
    const form = document.createElement('form');
    form.method = 'post';
    form.action = location.pathname + '/act';
    for (const [name, value] of Object.entries({ csrf, action: 'approve', legal_basis: '《中华人民共和国市场主体登记管理条例》' })) {
      const input = document.createElement('input');
      input.type = 'hidden';
      input.name = name;
      input.value = value;
      form.append(input);
    }
    const b = document.createElement('button');
    b.textContent = '强行批准';
    form.append(b);
    document.querySelector('main').append(form);
  }, { csrf });
  const refused = await submit(admin, admin.getByRole('button', { name: '强行批准' }));
  assert.equal(refused.status(), 422);
  assert.match(await refusal(admin), /办件当前状态下不能这样操作（当前状态：待补正（计时暂停））/);
  assert.equal(await fact(admin, '状态'), '待补正（计时暂停）');
  await assertGood(admin, 'the refused approval');
});

let second; // the approved case: { url, number }

test('a second case is approved, its result made, handed out at the window and closed', async () => {
  const clerk = await staffPage('clerk.hall');
  const url = await walkIn(clerk);
  const number = await clerk.locator('#case-number').innerText();
  await submit(clerk, button(clerk, '受理'));
  assert.equal(await fact(clerk, '状态'), '已受理，待审查');

  const reviewer = await staffPage('reviewer.scj');
  await reviewer.goto(server.base + '/console/cases/review');
  await reviewer.locator('tr', { hasText: number }).getByRole('link', { name: number }).click();
  await reviewer.waitForURL(url);
  // The legal basis comes filled in from the item.
  assert.match(await reviewer.locator('#ap-basis').inputValue(), /市场主体登记管理条例/);
  await reviewer.getByLabel('审批意见（可不填）').fill('材料齐全，准予变更登记。');
  await submit(reviewer, button(reviewer, '批准'));
  assert.match(await notice(reviewer), /已批准/);
  assert.equal(await fact(reviewer, '状态'), '已批准');
  assert.match(await fact(reviewer, '决定'), /准予变更登记/);
  assert.match(await fact(reviewer, '法律依据'), /市场主体登记管理条例/);
  await submit(reviewer, button(reviewer, '制证完成'));
  assert.equal(await fact(reviewer, '状态'), '已办结，待领取');
  // Handing out is the window's.
  assert.equal(await button(reviewer, '送达').count(), 0);
  await assertGood(reviewer, 'a case with its result made');

  await clerk.goto(server.base + '/console/cases?tab=ready');
  await assertGood(clerk, 'the desk: to hand out');
  await clerk.locator('tr', { hasText: number }).getByRole('link', { name: number }).click();
  await clerk.waitForURL(url);
  await clerk.getByLabel('送达方式').selectOption({ label: '窗口领取' });
  await submit(clerk, button(clerk, '送达'));
  assert.equal(await fact(clerk, '状态'), '已送达');
  assert.match(await fact(clerk, '送达'), /窗口领取/);
  await submit(clerk, button(clerk, '归档'));
  assert.equal(await fact(clerk, '状态'), '已办结归档');
  assert.match(await clerk.locator('#timeline').innerText(), /批准[\s\S]*送达[\s\S]*归档/);
  assert.match(await clerk.locator('#timeline').innerText(), /送达申请人\s+clerk\.hall\s+窗口领取/);
  await clerk.goto(server.base + '/console/cases?tab=done');
  assert.match(await clerk.locator('main').innerText(), new RegExp(number));
  second = { url, number };
});

test('the supervisor sees the load per department and the figures', async () => {
  assert.ok(first && second, 'the cases of the tests before');
  const page = await staffPage('supervisor');
  await page.getByRole('link', { name: '办件督查' }).click();
  await page.waitForURL(server.base + '/console/cases/supervise');
  await assertGood(page, '/console/cases/supervise');
  const figures = await page.locator('#figures').innerText();
  // One of the six materials of each case is an e-licence.
  assert.match(figures, /\d+\.\d%\s*材料免提交比例（\d+ \/ \d+）/);
  assert.match(figures, /个工作日\s*受理到决定平均用时/);
  assert.match(figures, /%\s*比法定时限提速/);
  assert.match(await page.locator('#load').innerText(), /市场监督管理局\s+1\s+0\s+0/);
  assert.match(await page.locator('#dept-figures').innerText(), /市场监督管理局\s+2\s+16\.7%\s+1/);
  assert.match(await page.locator('#item-figures').innerText(), /企业变更登记\s+2/);
  // The reviewer's pages are not the supervisor's.
  const res = await page.goto(server.base + '/console/cases/review');
  assert.equal(res.status(), 403);
});

test('痛快办: a stuck matter is written down, taken and resolved with the case it became', async () => {
  const page = await staffPage('clerk.hall');
  await page.getByRole('link', { name: '痛快办' }).click();
  await page.waitForURL(server.base + '/console/assist');
  await assertGood(page, '/console/assist (empty)');
  // A bad mobile is refused in place, the words kept.
  await page.getByLabel('群众姓名').fill('王大爷');
  await page.getByLabel('联系手机').fill('12345');
  await page.getByLabel('遇到的问题').fill('公司变更登记不知道要带哪些材料，跑了两次没办成。');
  let res = await submit(page, button(page, '登记'));
  assert.equal(res.status(), 422);
  assert.match(await refusal(page), /联系手机/);
  assert.equal(await page.getByLabel('遇到的问题').inputValue(), '公司变更登记不知道要带哪些材料，跑了两次没办成。');
  await page.getByLabel('联系手机').fill('13904110005');
  res = await submit(page, button(page, '登记'));
  assert.equal(res.status(), 200);
  const number = (await notice(page)).match(/TK\d{8}-\d{3}/)[0];
  const card = page.locator(`#assist-${number}`);
  assert.match(await card.innerText(), /待认领/);
  assert.match(await card.innerText(), /139\*\*\*\*0005/);
  await assertGood(page, 'an open stuck matter');

  assert.equal(await card.getByLabel('限办工作日').inputValue(), '3');
  await submit(page, card.getByRole('button', { name: '认领' }));
  assert.match(await notice(page), /已认领/);
  assert.match(await card.innerText(), /办理中/);
  assert.match(await card.innerText(), /clerk\.hall/);

  // An unknown case number is refused in place; the case's own number is taken.
  await card.getByLabel('办理结果').fill('帮助准备材料并当场提交变更登记，已办结。');
  await card.getByLabel('转成的办件编号（可不填）').fill('BJ20000101-99999');
  res = await submit(page, card.getByRole('button', { name: '办结' }));
  assert.equal(res.status(), 422);
  assert.match(await refusal(page), /没有编号为“BJ20000101-99999”的办件/);
  assert.equal(await card.getByLabel('办理结果').inputValue(), '帮助准备材料并当场提交变更登记，已办结。');
  await card.getByLabel('转成的办件编号（可不填）').fill(second.number);
  await submit(page, card.getByRole('button', { name: '办结' }));
  assert.match(await notice(page), /已办结/);
  assert.match(await card.innerText(), /已办结/);
  await card.getByRole('link', { name: '查看办件' }).click();
  await page.waitForURL(second.url);
  await assertGood(page, 'the case a stuck matter became');
});

test('a walk-in with a required field left empty is refused in place, the other values kept', async () => {
  const page = await staffPage('clerk.hall');
  await openWalkIn(page);
  await fillWalkIn(page, ['统一社会信用代码（必填）']);
  const res = await submit(page, button(page, '提交并预审'));
  assert.equal(res.status(), 422);
  assert.match(await refusal(page), /统一社会信用代码/);
  assert.match(await refusal(page), /必须填写/);
  assert.equal(await page.getByLabel('单位名称（必填）', { exact: true }).inputValue(), COMPANY);
  assert.equal(await page.getByLabel('法定代表人（必填）', { exact: true }).inputValue(), '张伟');
  assert.equal(await page.getByLabel('申请人手机号码（可不填）').inputValue(), '13904110003');
  await assertGood(page, 'the refused walk-in');
  // An agent (帮办代办) needs the applicant's authorisation on record.
  await page.getByLabel('统一社会信用代码（必填）', { exact: true }).fill('91350100M000100Y43');
  await page.getByLabel('帮办代办（工作人员代申请人办理）').check();
  const noAuth = await submit(page, button(page, '提交并预审'));
  assert.equal(noAuth.status(), 422);
  assert.match(await refusal(page), /申请人授权记录/);
  assert.ok(await page.getByLabel('帮办代办（工作人员代申请人办理）').isChecked());
  await page.getByLabel('申请人授权记录').fill('授权委托书 WT-2026-0815，法定代表人张伟签字');
  const ok = await submit(page, button(page, '提交并预审'));
  assert.equal(ok.status(), 200);
  assert.match(await fact(page, '申请渠道'), /帮办代办/);
  assert.match(await fact(page, '帮办代办人'), /clerk\.hall · 授权记录：授权委托书 WT-2026-0815/);
  await assertGood(page, "an agent's case");
  // An unknown item says so on step 1.
  await page.goto(server.base + '/console/cases/new?item=NOPE-0000');
  assert.match(await refusal(page), /没有找到“NOPE-0000”/);
  // Words find the item when the code is not known.
  await page.goto(server.base + '/console/cases/new');
  await page.getByLabel('事项编码或名称').fill('企业变更登记');
  await submit(page, button(page, '下一步'));
  assert.match(await page.locator('main').innerText(), /企业变更登记/);
  assert.equal(await page.getByLabel('单位名称（必填）', { exact: true }).count(), 1);
});

test('the case pages read in English after the switch', async () => {
  assert.ok(first && second, 'the cases of the tests before');
  const page = await staffPage('admin');
  await page.goto(server.base + '/console?lang=en');
  const pages = [
    ['/console/cases', 'Window desk'],
    ['/console/cases?tab=done', 'Window desk'],
    [`/console/cases/new?item=${ITEM}`, 'Walk-in submission'],
    ['/console/cases/review', 'Review queue'],
    ['/console/cases/supervise', 'Case supervision'],
    ['/console/assist', 'Tongkuaiban'],
    [new URL(first.url).pathname, 'Case number'],
    [new URL(second.url).pathname, 'Case number'],
  ];
  for (const [path, heading] of pages) {
    await page.goto(server.base + path);
    assert.match(await page.locator('h1').innerText(), new RegExp(heading), path);
    await assertGood(page, `${path} in English`);
  }
  assert.equal(await fact(page, 'Status'), 'closed');
});
