// Cases on the portal (issue 7), used as an applicant uses them on a phone: from an item's page
// to the online application (signing in by the SMS code on the way), the form filled and a PDF
// uploaded for the material the applicant provides, the case's page with its number and checks,
// "my cases"; a refusal (a number out of range, a required field left empty, a forged file)
// shown in place with what was typed; an instant approval (秒批) with the place to collect the
// result; a withdrawal; a supplement that the department asks for (through the JSON API, as its
// staff would) and the applicant hands in, after which the case is in review again; the
// company-setup bundle with its parallel items; 找我办; and the same application at the 24-hour
// kiosk, where the applicant signs in on the terminal, sees the number and is signed out at
// once. Every page is checked with axe (no serious or critical violations) and for message
// keys left untranslated.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'playwright-core';
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

const HALL = '公共服务综合业务大厅'; // the hall of the items below (H-PUB)
/** Not instant, in the hall, reviewed by the housing fund (reviewer.gjj); one material to upload. */
const ITEM = {
  code: '210231-GJJ-GG-5202',
  name: '购买自住住房提取住房公积金',
  upload: '购房款发票或付款凭证',
  shared: '申请人身份信息',
};
/** Instant approval (秒批): every material comes from shared data. */
const INSTANT = { code: '210231-GJJ-GG-5203', name: '租赁住房提取住房公积金' };
/** The company-setup bundle (企业开办“一件事”). */
const BUNDLE = { code: '210231-SCJ-GG-0001', parts: 6 };
/** An item only enterprises apply for, on the standard enterprise form (企业变更登记). */
const ENTERPRISE_ITEM = '210231-SCJ-XK-0003';
const RESIDENT = { mobile: '13904110001', name: '王建国', idBody: '21021119450312131' };
const CLERK = { mobile: '13804110003', name: '张伟', enterprise: '大连星海智能科技有限公司' };

/** A resident ID number with its GB 11643 check digit. */
function idNumber(body) {
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...body].reduce((s, d, i) => s + Number(d) * weights[i], 0);
  return body + '10X98765432'[sum % 11];
}
const RESIDENT_ID = idNumber(RESIDENT.idBody);

/** A tiny valid PDF: its header and its end-of-file marker. */
const pdfBytes = (note) => Buffer.from(`%PDF-1.4\n% ${note}\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n`);
/** A PDF file named `name` (its bytes differ by name, so a case keeps each once). */
const pdf = (name = 'invoice.pdf') => ({ name, mimeType: 'application/pdf', buffer: pdfBytes(name) });
/** A PNG's bytes under a .pdf name. */
const FORGED = {
  name: 'invoice.pdf',
  mimeType: 'application/pdf',
  buffer: Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8ffff3f0005fe02fea7d6a4b00000000049454e44ae426082', 'hex'),
};

async function newPage() {
  const context = await browser.newContext({ locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
  return context.newPage();
}

/** axe finds nothing serious, and no message key shows instead of its text. */
async function assertGood(page, what) {
  assert.deepEqual(await seriousViolations(page), [], `axe on ${what}`);
  const text = await page.locator('body').innerText();
  const raw = text.match(/\b(?:cases?|rating|reason|field|error|page|punct|guide|item|catalog)\.[a-z_.0-9]+/);
  assert.equal(raw, null, `untranslated key on ${what}: ${raw}`);
}

const button = (page, name) => page.getByRole('button', { name, exact: true });

/** Clicks and waits for the page the server answers with. */
async function submit(page, locator) {
  const [response] = await Promise.all([page.waitForNavigation(), locator.click()]);
  return response;
}

function fact(page, term) {
  return page.locator('dl.facts dt', { hasText: term }).first().locator('xpath=following-sibling::dd[1]').innerText();
}

const refusal = (page) => page.locator('.error-summary').innerText();

/** The sign-in form, wherever it was reached from: the mobile, then the code from the SMS. */
async function signInBySms(page, mobile) {
  const seen = server.smsCount();
  await page.getByLabel('手机号码').fill(mobile);
  await submit(page, page.getByRole('button', { name: '获取验证码' }));
  const code = await server.nextSmsCode(seen);
  await page.getByLabel('短信验证码（6 位数字）').fill(code);
  await submit(page, page.getByRole('button', { name: '登录' }));
}

/** A page signed in as `mobile`. */
async function applicantPage(mobile) {
  const page = await newPage();
  await page.goto(server.base + '/signin');
  await signInBySms(page, mobile);
  await page.waitForURL(server.base + '/me');
  return page;
}

/** Fills the housing-fund withdrawal form (the name is prefilled). */
async function fillWithdrawal(page, { amount = '200000', address = '高新区软件园路 1 号 3-2-501' } = {}) {
  await page.getByLabel('公民身份号码').fill(RESIDENT_ID);
  await page.getByLabel('联系电话').fill(RESIDENT.mobile);
  await page.getByLabel('提取金额（元）').fill(amount);
  await page.getByLabel('房屋坐落').fill(address);
}

/** Applies for ITEM with a PDF and returns the case's id. */
async function applyForItem(page) {
  await page.goto(`${server.base}/apply?item=${ITEM.code}`);
  await fillWithdrawal(page);
  await page.locator('input[name="m2"]').setInputFiles(pdf());
  await submit(page, button(page, '提交申请'));
  const m = page.url().match(/\/my\/cases\/(\d+)$/);
  assert.ok(m, `the case's page: ${page.url()}`);
  return Number(m[1]);
}

/** A member of staff's API session. */
async function staffApi(username) {
  const api = await request.newContext({ baseURL: server.base });
  const r = await api.post('/api/v1/session', { data: { username, password: DEMO_PASSWORD } });
  assert.equal(r.status(), 200, `${username} logs in`);
  return api;
}

async function act(api, id, body) {
  const r = await api.post(`/api/v1/cases/${id}/act`, { data: body });
  assert.equal(r.status(), 200, `${body.action}: ${await r.text()}`);
  return r.json();
}

let resident; // 王建国's phone, signed in on the way to the first application

test('an applicant applies online from the item page, signing in on the way, and lands on the case with its number and checks', async () => {
  resident = await newPage();
  await resident.goto(`${server.base}/items/${ITEM.code}`);
  await submit(resident, resident.getByRole('link', { name: '在线申请' }));
  assert.equal(resident.url(), `${server.base}/apply?item=${ITEM.code}`);
  assert.equal(await resident.locator('h1').innerText(), '在线申请');
  assert.match(await resident.locator('main').innerText(), new RegExp(ITEM.name));
  assert.equal(await fact(resident, '承诺办结时限'), '1 个工作日（法定时限 3 个工作日）');
  assert.match(await resident.locator('main').innerText(), /在线申请需要先登录/);
  await assertGood(resident, '/apply (signed out)');

  await submit(resident, resident.getByRole('link', { name: '登录后申请' }));
  assert.match(resident.url(), /\/signin\?next=%2Fapply%3Fitem%3D/);
  await signInBySms(resident, RESIDENT.mobile);
  assert.equal(resident.url(), `${server.base}/apply?item=${ITEM.code}`);
  assert.equal(await resident.getByLabel('申请人姓名').inputValue(), RESIDENT.name, 'the name is prefilled');
  const main = await resident.locator('main').innerText();
  assert.match(main, new RegExp(`${ITEM.shared}\\s*免提交`));
  assert.match(main, /已通过共享数据\/电子证照获取（公安人口信息库）/);
  assert.equal(await resident.locator('input[type=file]').count(), 1, 'one file input: the only material the applicant provides');
  assert.equal(await resident.locator('input[name="m2"]').getAttribute('accept'), '.pdf,.jpg,.jpeg,.png,.webp');
  assert.equal(await resident.getByLabel('提取金额（元）').getAttribute('type'), 'number');
  assert.equal(await resident.getByLabel('联系电话').getAttribute('inputmode'), 'numeric');
  await assertGood(resident, '/apply (signed in)');

  await fillWithdrawal(resident);
  await resident.getByLabel(new RegExp(ITEM.upload)).setInputFiles(pdf());
  await submit(resident, button(resident, '提交申请'));
  assert.match(resident.url(), /\/my\/cases\/\d+$/);
  const number = await resident.locator('#case-number').innerText();
  assert.match(number, /^BJ\d{8}-\d{5}$/);
  assert.equal(await resident.locator('h1').innerText(), ITEM.name);
  assert.equal(await fact(resident, '办理状态'), '已提交，待受理');
  assert.equal(await fact(resident, '申请方式'), '网上申请');
  const checks = await resident.locator('#checks').innerText();
  assert.match(checks, /公民身份号码\s+身份证号码有效\s+通过/);
  assert.match(checks, /购房款发票或付款凭证\s+材料齐全\s+通过\s+已上传/);
  assert.match(await resident.locator('#timeline').innerText(), /提交申请[\s\S]*网上申请/);
  assert.match(await resident.locator('main').innerText(), /invoice\.pdf/);
  await assertGood(resident, 'the case page');
  const caseUrl = resident.url();
  await resident.goto(caseUrl + '?lang=en');
  assert.equal(await fact(resident, 'Status'), 'submitted, waiting for acceptance');
  await assertGood(resident, 'the case page in English');
  await resident.goto(`${server.base}/apply?item=${ITEM.code}`);
  assert.equal(await resident.locator('h1').innerText(), 'Apply online');
  await assertGood(resident, '/apply in English');
  await resident.goto(caseUrl + '?lang=zh-CN');

  // The file downloads for its applicant.
  const href = await resident.getByRole('link', { name: 'invoice.pdf' }).getAttribute('href');
  const file = await resident.request.get(server.base + href);
  assert.equal(file.status(), 200);
  assert.equal((await file.body()).toString('latin1').slice(0, 5), '%PDF-');

  // My cases lists it, and "my account" links to it.
  await resident.goto(server.base + '/me');
  await submit(resident, resident.getByRole('link', { name: '我的办件' }));
  assert.equal(resident.url(), server.base + '/my/cases');
  const card = resident.locator('#my-cases li', { hasText: number });
  assert.match(await card.innerText(), new RegExp(`${ITEM.name}[\\s\\S]*已提交，待受理`));
  await assertGood(resident, '/my/cases');
  await submit(resident, card.getByRole('link', { name: ITEM.name }));
  assert.equal(await resident.locator('#case-number').innerText(), number);
});

test('a number out of range and an empty required field are refused in place with the values kept', async () => {
  await resident.goto(`${server.base}/apply?item=${ITEM.code}`);
  await fillWithdrawal(resident, { amount: '9999999' });
  await resident.locator('input[name="m2"]').setInputFiles(pdf());
  const r = await submit(resident, button(resident, '提交申请'));
  assert.equal(r.status(), 422);
  assert.equal(resident.url(), server.base + '/apply');
  const said = await refusal(resident);
  assert.match(said, /提取金额（元）（1–5000000）”超出允许范围/);
  assert.match(said, /已选择的文件没有保存/);
  assert.equal(await resident.getByLabel('提取金额（元）').inputValue(), '9999999');
  assert.equal(await resident.getByLabel('提取金额（元）').getAttribute('aria-invalid'), 'true');
  assert.equal(await resident.getByLabel('公民身份号码').inputValue(), RESIDENT_ID);
  assert.equal(await resident.getByLabel('房屋坐落').inputValue(), '高新区软件园路 1 号 3-2-501');
  await assertGood(resident, '/apply refused (range)');

  await resident.getByLabel('提取金额（元）').fill('5000');
  await resident.getByLabel('房屋坐落').fill('');
  const r2 = await submit(resident, button(resident, '提交申请'));
  assert.equal(r2.status(), 422);
  assert.match(await refusal(resident), /“房屋坐落”必须填写/);
  assert.equal(await resident.getByLabel('提取金额（元）').inputValue(), '5000');
  assert.equal(await resident.getByLabel('联系电话').inputValue(), RESIDENT.mobile);
});

test('a forged file (PNG bytes named .pdf) and a text file named .pdf are refused in place', async () => {
  await resident.goto(`${server.base}/apply?item=${ITEM.code}`);
  await fillWithdrawal(resident);
  await resident.locator('input[name="m2"]').setInputFiles(FORGED);
  const r = await submit(resident, button(resident, '提交申请'));
  assert.equal(r.status(), 422);
  assert.match(await refusal(resident), /文件内容与扩展名（\.pdf）不符/);
  assert.equal(await resident.getByLabel('提取金额（元）').inputValue(), '200000');
  await assertGood(resident, '/apply refused (forged file)');

  await resident.locator('input[name="m2"]').setInputFiles({ name: 'note.pdf', mimeType: 'application/pdf', buffer: Buffer.from('just some text, no PDF at all\n') });
  const r2 = await submit(resident, button(resident, '提交申请'));
  assert.equal(r2.status(), 422);
  assert.match(await refusal(resident), /文件/);
  assert.equal(await resident.getByLabel('公民身份号码').inputValue(), RESIDENT_ID);
});

test('an item with instant approval is approved on submission and says where to collect the result', async () => {
  await resident.goto(`${server.base}/items/${INSTANT.code}`);
  await submit(resident, resident.getByRole('link', { name: '在线申请' }));
  assert.match(await resident.locator('main').innerText(), /秒批/);
  assert.equal(await resident.locator('input[type=file]').count(), 0, 'every material comes from shared data');
  await resident.getByLabel('公民身份号码').fill(RESIDENT_ID);
  await resident.getByLabel('联系电话').fill(RESIDENT.mobile);
  await resident.getByLabel('提取金额（元）').fill('1500');
  await resident.getByLabel('租房所在地').selectOption('大连市');
  await submit(resident, button(resident, '提交申请'));
  assert.match(resident.url(), /\/my\/cases\/\d+$/);
  assert.match(await resident.locator('#instant').innerText(), /已秒批/);
  assert.equal(await fact(resident, '办理状态'), '已办结，待领取');
  assert.match(await resident.locator('#collect').innerText(), new RegExp(`请到${HALL}出件窗口领取`));
  assert.match(await resident.locator('main').innerText(), /系统核验未发现问题/);
  assert.equal(await button(resident, '撤回申请').count(), 0, 'decided: no withdrawal');
  await assertGood(resident, 'an instantly approved case');

  // Handed out at the window, the applicant rates it.
  const id = Number(resident.url().match(/\/my\/cases\/(\d+)$/)[1]);
  const clerk = await staffApi('clerk.hall');
  await act(clerk, id, { action: 'hand_out', way: 'window' });
  await clerk.dispose();
  await resident.reload();
  assert.equal(await fact(resident, '办理状态'), '已送达');
  assert.equal(await resident.locator('#collect').count(), 0);
  assert.match(await resident.locator('main').innerText(), /窗口领取/);
  const rating = resident.locator('#rating');
  await assertGood(resident, 'a handed-out case with the rating form');
  await rating.getByLabel('办事快').check();
  await rating.getByLabel('一次办好').check();
  await submit(resident, rating.getByRole('button', { name: '满意', exact: true }));
  assert.equal(resident.url(), `${server.base}/my/cases/${id}?done=rated`);
  assert.match(await resident.locator('#rating').innerText(), /满意/);
  assert.equal(await resident.locator('#rating form').count(), 0, 'rated once');
});

test('an applicant withdraws a case that is not decided yet', async () => {
  const id = await applyForItem(resident);
  assert.equal(await fact(resident, '办理状态'), '已提交，待受理');
  resident.once('dialog', (d) => d.accept());
  await submit(resident, button(resident, '撤回申请'));
  assert.equal(resident.url(), `${server.base}/my/cases/${id}?done=withdrawn`);
  assert.equal(await resident.locator('.notice').first().innerText(), '申请已撤回。');
  assert.equal(await fact(resident, '办理状态'), '已撤回');
  assert.equal(await button(resident, '撤回申请').count(), 0);
  assert.match(await resident.locator('#timeline').innerText(), /申请人撤回/);
  await assertGood(resident, 'a withdrawn case');
});

test('the department asks for a supplement; the applicant hands it in and the case is in review again', async () => {
  const id = await applyForItem(resident);
  const clerk = await staffApi('clerk.hall');
  await act(clerk, id, { action: 'accept' });
  const reviewer = await staffApi('reviewer.gjj');
  const asked = '购房款发票或付款凭证（需加盖收款单位财务专用章）';
  await act(reviewer, id, { action: 'request_supplement', missing: [asked, '购房合同首页及签字页'] });

  await resident.goto(server.base + '/my/cases');
  assert.match(await resident.locator('#my-cases li', { hasText: ITEM.name }).first().innerText(), /需要您补正材料/);
  await resident.goto(`${server.base}/my/cases/${id}`);
  assert.equal(await fact(resident, '办理状态'), '待补正（计时暂停）');
  assert.match(await fact(resident, '暂停计时'), /补正期间暂停计时/);
  const missing = await resident.locator('#missing').innerText();
  assert.match(missing, new RegExp(asked.replace(/[()（）]/g, '.')));
  assert.match(missing, /购房合同首页及签字页/);
  assert.match(await resident.locator('#timeline').innerText(), /一次性告知|补正/);
  await assertGood(resident, 'a case waiting for supplements');

  // Nothing chosen: refused in place.
  const r = await submit(resident, button(resident, '提交补正材料'));
  assert.equal(r.status(), 422);
  assert.match(await refusal(resident), /文件/);

  await resident.locator('#supplement input[name="m2"]').setInputFiles(pdf('invoice-stamped.pdf'));
  await submit(resident, button(resident, '提交补正材料'));
  assert.equal(resident.url(), `${server.base}/my/cases/${id}?done=supplemented`);
  assert.equal(await fact(resident, '办理状态'), '审查中');
  assert.match(await resident.locator('.notice').first().innerText(), /补正材料已提交/);
  assert.equal(await resident.locator('#supplement').count(), 0, 'nothing more is asked');
  assert.match(await resident.locator('#timeline').innerText(), /补交 1 份文件/);
  assert.match(await resident.locator('main').innerText(), /invoice-stamped\.pdf/);
  await assertGood(resident, 'a supplemented case');
  await clerk.dispose();
  await reviewer.dispose();
});

test('the company-setup bundle starts its items in parallel under one half-day commitment', async () => {
  const page = await applicantPage(CLERK.mobile);
  await page.goto(`${server.base}/apply?item=${BUNDLE.code}`);
  const bundle = page.locator('section', { hasText: '一件事，一次申请' });
  assert.match(await bundle.innerText(), new RegExp(`同时启动以下 ${BUNDLE.parts} 个事项并联办理，承诺在0\\.5 个工作日内全部办结`));
  assert.equal(await bundle.locator('li').count(), BUNDLE.parts);
  assert.match(await bundle.innerText(), /企业设立登记/);
  // 张伟 acts for an enterprise: he chooses whom the application is for.
  const as = page.getByLabel('申请主体');
  assert.match(await as.innerText(), new RegExp(CLERK.enterprise));
  await assertGood(page, '/apply (bundle)');

  await page.locator('#f-applicant_name').fill('大连海韵数字科技有限公司');
  await page.locator('#f-legal_rep').fill(CLERK.name);
  await page.locator('#f-id_number').fill(idNumber('21021119870904315'));
  await page.locator('#f-mobile').fill(CLERK.mobile);
  await page.locator('#f-registered_capital').fill('100');
  await page.locator('#f-business_scope').fill('软件开发；信息技术咨询服务');
  await page.locator('#f-address').fill('辽宁省大连高新技术产业园区软件园路 8 号');
  for (const input of await page.locator('form input[type=file]').all()) await input.setInputFiles(pdf());
  await submit(page, button(page, '提交申请'));
  assert.match(page.url(), /\/my\/cases\/\d+$/);
  const parts = page.locator('#parts tbody tr');
  assert.equal(await parts.count(), BUNDLE.parts);
  const number = await page.locator('#case-number').innerText();
  assert.match(await parts.first().innerText(), new RegExp(`${number}-1`));
  await assertGood(page, 'a bundle case');

  // An item only enterprises apply for: his enterprise is chosen and fills the form.
  await page.goto(`${server.base}/apply?item=${ENTERPRISE_ITEM}`);
  const select = page.getByLabel('申请主体');
  assert.equal(await select.locator('option:checked').innerText(), CLERK.enterprise);
  assert.equal(await page.locator('#f-applicant_name').inputValue(), CLERK.enterprise);
  assert.match(await page.locator('#f-credit_code').inputValue(), /^[0-9A-Z]{18}$/);
  assert.equal(await page.locator('#f-legal_rep').inputValue(), CLERK.name);
  await select.selectOption({ label: `本人（${CLERK.name}）` });
  assert.equal(await page.locator('#f-applicant_name').inputValue(), CLERK.name, 'the script refills the name');
  assert.equal(await page.locator('#f-credit_code').inputValue(), '');
  await select.selectOption({ label: CLERK.enterprise });
  await page.locator('#f-id_number').fill(idNumber('21021119870904315'));
  await page.locator('#f-mobile').fill(CLERK.mobile);
  await assertGood(page, '/apply (for an enterprise)');
  await submit(page, button(page, '提交申请'));
  assert.match(page.url(), /\/my\/cases\/\d+$/);
  assert.equal(await fact(page, '申请人'), CLERK.enterprise);
  assert.match(await page.locator('#checks').innerText(), /统一社会信用代码有效\s+通过/);
  await page.goto(server.base + '/my/cases');
  assert.equal(await page.locator('#my-cases > li').count(), 2, 'the bundle (its parts on its page) and the enterprise case');
  assert.match(await page.locator('#my-cases > li', { hasText: number }).innerText(), new RegExp(`并联办理 ${BUNDLE.parts} 个事项，已办结 0 个`));
  await page.context().close();
});

test('a resident who could not get a matter done asks for help (找我办) and gets a number and a promise', async () => {
  // 李秀英 signs in on her own phone.
  const resident = await applicantPage('13904110002');
  await submit(resident, resident.getByRole('link', { name: '找我办' }));
  assert.equal(resident.url(), server.base + '/assist/new');
  await assertGood(resident, '/assist/new');
  const r = await submit(resident, button(resident, '提交'));
  assert.equal(r.status(), 422, 'an empty matter is refused');
  await resident.getByLabel('事项描述').fill('想给老伴办理高龄津贴，跑了两次都说材料不对，不知道该找谁。');
  await submit(resident, button(resident, '提交'));
  const refused = resident.locator('.error-summary');
  assert.equal(await refused.count(), 0, `refused: ${(await refused.count()) ? await refused.innerText() : ''}`);
  assert.match(resident.url(), /\/assist\/new\?filed=TK\d{8}-\d{3}$/);
  const said = await resident.locator('#assist-filed').innerText();
  assert.match(said, /已收到您的诉求，编号\s*TK\d{8}-\d{3}/);
  assert.match(said, /具名的专人负责，在 3 个工作日内与您联系/);
  await assertGood(resident, 'the 找我办 confirmation');
  await resident.context().close();
});

test('signed out, my cases and a case page lead to the sign-in and back', async () => {
  const page = await newPage();
  await page.goto(server.base + '/my/cases');
  assert.match(page.url(), /\/signin\?next=%2Fmy%2Fcases$/);
  await page.goto(server.base + '/assist/new');
  assert.match(page.url(), /\/signin\?next=%2Fassist%2Fnew$/);
  await page.context().close();
});

/** 刘芳 and 赵丽 use the kiosk (no code was sent to them in this file: one a minute per number). */
const AT_KIOSK = { mobile: '13804110004', masked: '138****0004', name: '刘芳', idBody: '21021219930117428' };
const AT_KIOSK_2 = { mobile: '13704110006', name: '赵丽' };

/** Every link, button and input of the page's main part is at least 64 px each way. */
async function smallTargets(page) {
  const targets = await page.locator('main a:visible, main button:visible, main input:visible, main select:visible').evaluateAll((els) =>
    els.map((e) => {
      const r = e.getBoundingClientRect();
      return { what: `${e.tagName.toLowerCase()} “${(e.innerText || e.name || '').trim().slice(0, 12)}”`, w: r.width, h: r.height };
    }),
  );
  return targets.filter((t) => t.h < 64 || t.w < 64).map((t) => `${t.what} ${Math.round(t.w)}×${Math.round(t.h)}`);
}

test('at the 24-hour kiosk an applicant signs in on the terminal, applies, sees the number and is signed out at once', async () => {
  const page = await newPage();
  await page.goto(`${server.base}/kiosk/items/${ITEM.code}`);
  assert.equal(await page.getAttribute('body', 'class'), 'face-kiosk');
  assert.equal(await page.getByRole('link', { name: '在线申请' }).count(), 0, "the portal's button is not on the kiosk");
  await submit(page, page.getByRole('link', { name: '在自助终端申请' }));
  assert.equal(page.url(), `${server.base}/kiosk/apply?item=${ITEM.code}`);
  assert.equal(await page.getAttribute('body', 'class'), 'face-kiosk');
  assert.equal(await page.locator('h1').innerText(), '自助终端申请');
  let main = await page.locator('main').innerText();
  assert.match(main, new RegExp(ITEM.name));
  assert.match(main, /自助终端由大家共用/);
  assert.equal(await page.getByRole('link', { name: '找我办' }).count(), 0, 'no portal navigation on the kiosk');
  assert.equal(await page.getByRole('link', { name: '返回首页' }).count(), 1, 'always a way home');
  assert.deepEqual(await smallTargets(page), [], 'large targets on the sign-in step');
  await assertGood(page, '/kiosk/apply (sign-in step)');

  // A mobile that is not one is refused in place, on the kiosk.
  await page.getByLabel('手机号码').fill('12345');
  const bad = await submit(page, button(page, '获取验证码'));
  assert.equal(bad.status(), 422);
  assert.match(await refusal(page), /手机/);
  assert.equal(await page.getAttribute('body', 'class'), 'face-kiosk');
  await assertGood(page, '/kiosk/apply (a wrong mobile)');

  // The mobile, then the code from the SMS (a wrong code first).
  const seen = server.smsCount();
  await page.getByLabel('手机号码').fill(AT_KIOSK.mobile);
  await submit(page, button(page, '获取验证码'));
  assert.equal(page.url(), `${server.base}/kiosk/apply/code`);
  assert.equal(await page.getAttribute('body', 'class'), 'face-kiosk');
  assert.match(await page.locator('main').innerText(), new RegExp(`验证码已发送至 ${AT_KIOSK.masked.replace(/\*/g, '\\*')}`));
  assert.deepEqual(await smallTargets(page), [], 'large targets on the code step');
  await assertGood(page, '/kiosk/apply (code step)');
  const code = await server.nextSmsCode(seen);
  await page.getByLabel('短信验证码（6 位数字）').fill(code === '000000' ? '111111' : '000000');
  const wrong = await submit(page, button(page, '登录'));
  assert.equal(wrong.status(), 401);
  assert.match(await refusal(page), /验证码不正确/);
  await page.getByLabel('短信验证码（6 位数字）').fill(code);
  await submit(page, button(page, '登录'));
  assert.equal(page.url(), `${server.base}/kiosk/apply?item=${ITEM.code}`, 'back to the form');
  assert.equal(await page.getAttribute('body', 'class'), 'face-kiosk');
  assert.equal(await page.getByLabel('申请人姓名').inputValue(), AT_KIOSK.name, 'the name is prefilled');
  assert.equal(await page.locator('#kiosk-who p').innerText(), `当前登录：${AT_KIOSK.name}（${AT_KIOSK.masked}）`);
  assert.equal(await page.locator('form[action="/kiosk/apply"]').count(), 1, 'the form posts to the kiosk');
  assert.equal(await page.getByRole('link', { name: '我的办件' }).count(), 0, 'no portal navigation on the kiosk');
  assert.deepEqual(await smallTargets(page), [], 'large targets on the form');
  await assertGood(page, '/kiosk/apply (the form)');

  await page.getByLabel('公民身份号码').fill(idNumber(AT_KIOSK.idBody));
  await page.getByLabel('联系电话').fill(AT_KIOSK.mobile);
  await page.getByLabel('提取金额（元）').fill('120000');
  await page.getByLabel('房屋坐落').fill('高新区龙王塘街道龙王塘社区 3 号楼 601');
  await page.getByLabel(new RegExp(ITEM.upload)).setInputFiles(pdf('kiosk-scan.pdf'));
  const done = await submit(page, button(page, '提交申请'));
  assert.equal(done.status(), 200);
  assert.equal(await page.getAttribute('body', 'class'), 'face-kiosk');
  assert.equal(await page.locator('h1').innerText(), '申请已提交');
  const number = await page.locator('#case-number').innerText();
  assert.match(number, /^BJ\d{8}-\d{5}$/);
  assert.equal(await fact(page, '办理状态'), '已提交，待受理');
  assert.equal(await fact(page, '申请方式'), '自助终端');
  assert.match(await page.locator('#checks-summary').innerText(), /^系统已核验 \d+ 项：\d+ 项通过，0 项未通过/);
  assert.match(await page.locator('#collect').innerText(), new RegExp(`办结后请到${HALL}出件窗口领取`));
  const out = await page.locator('#signed-out').innerText();
  assert.match(out, /您已退出登录/);
  assert.match(out, /\/my\/cases/);
  assert.deepEqual(await smallTargets(page), [], 'large targets on the confirmation');
  await assertGood(page, 'the kiosk confirmation');

  // Signed out at once: the cookie is gone and so is the session.
  const cookies = await page.context().cookies();
  assert.equal(cookies.find((c) => c.name === 'zw_applicant'), undefined, 'the applicant cookie is cleared');
  await submit(page, page.getByRole('link', { name: '完成' }));
  assert.equal(page.url(), server.base + '/kiosk');
  await page.goto(server.base + '/my/cases');
  assert.match(page.url(), /\/signin\?next=%2Fmy%2Fcases$/, 'my cases asks to sign in again');
  await page.goto(`${server.base}/kiosk/apply?item=${ITEM.code}`);
  assert.equal(await button(page, '获取验证码').count(), 1, 'the next person starts at the sign-in step');
  await page.context().close();

  // The case came by the kiosk.
  const clerk = await staffApi('clerk.hall');
  const r = await clerk.get('/api/v1/cases?view=window');
  assert.equal(r.status(), 200);
  const c = (await r.json()).find((x) => x.number === number);
  assert.ok(c, `the clerk sees ${number}`);
  assert.equal(c.channel, 'kiosk');
  assert.equal(c.applicant_name, AT_KIOSK.name);
  assert.equal(c.status, 'submitted');
  await clerk.dispose();
});

test('at the kiosk, "back to start" signs the applicant out, and the sign-in step is in English too', async () => {
  const page = await newPage();
  await page.goto(`${server.base}/kiosk/apply?item=${ITEM.code}&lang=en`);
  assert.equal(await page.locator('h1').innerText(), 'Apply at the kiosk');
  await assertGood(page, '/kiosk/apply in English');
  await page.goto(`${server.base}/kiosk/apply?item=${ITEM.code}&lang=zh-CN`);
  const seen = server.smsCount();
  await page.getByLabel('手机号码').fill(AT_KIOSK_2.mobile);
  await submit(page, button(page, '获取验证码'));
  await page.getByLabel('短信验证码（6 位数字）').fill(await server.nextSmsCode(seen));
  await submit(page, button(page, '登录'));
  assert.equal(await page.getByLabel('申请人姓名').inputValue(), AT_KIOSK_2.name);
  assert.match(await page.locator('.kiosk-idle').innerText(), /自动退出登录/);
  // Walking away by the way home ends the session.
  await submit(page, button(page, '返回首页'));
  assert.equal(page.url(), server.base + '/kiosk');
  assert.equal((await page.context().cookies()).find((c) => c.name === 'zw_applicant'), undefined);
  await page.goto(server.base + '/my/cases');
  assert.match(page.url(), /\/signin\?next=/);
  await page.context().close();
});
