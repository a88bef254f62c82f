// The service guide (办事指南) in a real browser, walked as a resident would: ask in plain
// language on the portal and the kiosk, read the answer cards, open an item's whole guide and
// its booking section, narrow to businesses, ask near me, survive odd and hostile questions, and
// read it all in English. Every page is checked with axe (no serious or critical violations).
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
  const context = await browser.newContext({ locale: 'zh-CN', ...options });
  return context.newPage();
}

async function assertAccessible(page, what) {
  assert.deepEqual(await seriousViolations(page), [], `axe on ${what}`);
}

// Demo facts: the question, the item that answers it first.
const ID_CARD = { q: '身份证丢了怎么补办', code: '210231-GAJ-XK-6003', name: '居民身份证补领' };
const RESTAURANT = { q: '我想开一家餐馆需要办什么', code: '210231-SCJ-XK-0013', name: '食品经营许可（新办）' };
// Offered in every community station, so a location brings the nearest one.
const FLEXIBLE_WORK = '灵活就业怎么交社保';

/** Types a question, picks the audience (its radio's label) if given, presses the button. */
async function ask(page, question, { audience, label = '您想办什么？', button = '查询' } = {}) {
  await page.getByLabel(label).fill(question);
  if (audience) await page.getByRole('radio', { name: audience, exact: true }).check();
  const [response] = await Promise.all([
    page.waitForNavigation(),
    page.getByRole('button', { name: button, exact: true }).click(),
  ]);
  return response;
}

const cards = (page) => page.locator('li.answer-card');
const cardNames = (page) => page.locator('li.answer-card h3').allInnerTexts();

/** An answer card's facts: its <dt> labels and the text of their <dd>. */
function facts(card) {
  return card.evaluate((li) =>
    Object.fromEntries(
      [...li.querySelectorAll('dl.facts > dt')].map((dt) => [dt.innerText.trim(), dt.nextElementSibling.innerText.trim()]),
    ),
  );
}

/** The names of the materials on a card (without the 免提交 tag or the condition). */
function cardMaterials(card) {
  return card.evaluate((li) =>
    [...li.querySelectorAll('dl.facts ul.compact')[0].children].map((m) => m.firstChild.textContent.trim()),
  );
}

test('the home page leads to the guide, which starts with examples of how to ask', async () => {
  const page = await newPage();
  await page.goto(server.base + '/');
  await page.getByRole('link', { name: '不知道怎么办？问问办事指南' }).click();
  await page.waitForURL(server.base + '/guide');
  assert.equal(await page.locator('h1').innerText(), '办事指南');
  assert.equal(await page.getByLabel('您想办什么？').inputValue(), '');
  assert.ok(await page.getByRole('radio', { name: '不限', exact: true }).isChecked(), '不限 by default');
  assert.equal(await page.getByRole('heading', { name: '大家常这样问' }).count(), 1);
  const examples = page.locator('ul.examples a');
  assert.ok((await examples.count()) >= 3, 'some example questions');
  assert.ok((await examples.allInnerTexts()).includes(ID_CARD.q));
  assert.equal(await cards(page).count(), 0, 'no answers before a question');
  await assertAccessible(page, '/guide');

  // An example is a link that asks it.
  await page.getByRole('link', { name: ID_CARD.q }).click();
  await page.waitForURL(/\/guide\?q=/);
  assert.equal(await page.getByLabel('您想办什么？').inputValue(), ID_CARD.q);
  assert.equal((await cardNames(page))[0], ID_CARD.name);
  await page.context().close();
});

test('every example question leads to the item that answers it', async () => {
  // The best answers as the labelled questions (tests/guide/*.toml) have them, or, for the one
  // that is not labelled, as those questions label the same need ("我们公司搬家了执照上的地址要改").
  const expected = {
    我想开一家餐馆需要办什么: '210231-SCJ-XK-0013',
    孩子上户口要带什么材料: '210231-GAJ-QR-6005',
    驾驶证到期了怎么换: '210231-JJD-XK-6101',
    身份证丢了怎么补办: '210231-GAJ-XK-6003',
    灵活就业怎么交社保: '210231-RSJ-GG-5001',
    公司要注销怎么办: '210231-SCJ-XK-0004',
  };
  const page = await newPage();
  await page.goto(server.base + '/guide');
  const examples = await page.locator('ul.examples a').allInnerTexts();
  const problems = [];
  for (const example of examples) {
    await page.getByRole('link', { name: example, exact: true }).click();
    await page.waitForURL(/\/guide\?q=/);
    const hrefs = await page.locator('li.answer-card h3 a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
    if (hrefs.length === 0) problems.push(`${example}: no answer`);
    else if (expected[example] && !hrefs.includes(`/items/${expected[example]}`)) {
      problems.push(`${example}: ${expected[example]} is not among the answers (${hrefs.join(' ')})`);
    }
    await page.goBack();
  }
  assert.deepEqual(problems, []);
  await page.context().close();
});

test('a resident asks how to replace a lost ID card, reads the card, opens the item and goes to booking', async () => {
  const page = await newPage();
  await page.goto(server.base + '/guide');
  const response = await ask(page, ID_CARD.q);
  assert.equal(response.status(), 200);
  assert.equal(new URL(page.url()).searchParams.get('q'), ID_CARD.q);
  assert.equal(await page.getByLabel('您想办什么？').inputValue(), ID_CARD.q, 'the question stays in the field');
  assert.equal(await page.getByRole('heading', { name: '为您找到的事项' }).count(), 1);
  assert.ok((await cards(page).count()) >= 1);
  assert.equal(await page.locator('.nothing-fits').count(), 0);

  const card = cards(page).first();
  assert.equal(await card.locator('h3').innerText(), ID_CARD.name);
  assert.equal(await card.locator('h3 a').getAttribute('href'), `/items/${ID_CARD.code}`);
  const f = await facts(card);
  assert.deepEqual(Object.keys(f), ['申请材料', '承诺时限', '收费', '网上办理', '跑动次数', '到哪里办']);
  assert.match(f['申请材料'], /份需您提供/);
  assert.match(f['承诺时限'], /^\d+(\.\d+)? 个工作日$|即办/);
  assert.match(f['收费'], /元/, 'replacing an ID card costs a fee');
  assert.match(f['网上办理'], /网上办理|现场办理/);
  assert.match(f['跑动次数'], /^最多跑 \d 次$/);
  assert.match(f['到哪里办'], /公安服务大厅/);
  assert.match(f['到哪里办'], /窗口：\S+/, 'the window to go to');
  assert.match(f['到哪里办'], /开放|现在不开放/, 'whether the hall is open, in words');
  const materials = await cardMaterials(card);
  assert.ok(materials.length >= 1);
  await assertAccessible(page, 'the answers');

  // The whole guide of the item.
  await card.locator('h3 a').click();
  await page.waitForURL(`${server.base}/items/${ID_CARD.code}`);
  assert.equal(await page.locator('h1').innerText(), ID_CARD.name);
  assert.match(await page.locator('main').innerText(), new RegExp(ID_CARD.code));
  const headings = await page.locator('main h2').allInnerTexts();
  for (const h of ['受理条件', '申请材料', '办理流程', '到哪里办', '预约办理', '常见问题', '设定依据']) {
    assert.ok(headings.includes(h), `the item page has ${h}`);
  }
  const table = page.locator('main table');
  assert.deepEqual(
    await table.locator('thead th').allInnerTexts(),
    ['材料名称', '是否必需', '形式与份数', '来源'],
  );
  assert.deepEqual(await table.locator('tbody tr td:first-child').allInnerTexts(), materials, 'the same materials as on the card');
  assert.ok((await page.locator('main h2:text-is("办理流程") + ol li').count()) >= 1, 'the steps');
  await assertAccessible(page, `/items/${ID_CARD.code}`);
  await page.getByRole('link', { name: '← 办事指南' }).click();
  await page.waitForURL(server.base + '/guide');

  // Straight from the card to booking.
  await page.goBack();
  await page.goBack();
  await page.waitForURL(/\/guide\?q=/);
  await cards(page).first().getByRole('link', { name: '预约办理' }).click();
  await page.waitForURL(`${server.base}/items/${ID_CARD.code}#book`);
  const book = page.locator('#book');
  assert.equal(await book.innerText(), '预约办理');
  const top = await book.evaluate((e) => e.getBoundingClientRect().top);
  const height = await page.evaluate(() => window.innerHeight);
  assert.ok(top >= 0 && top < height, `the booking section is in view (top ${top})`);
  assert.match(await page.locator('#book + p').innerText(), /预约/);

  // A code that is no item.
  const missing = await page.goto(server.base + '/items/210231-NOPE-0000');
  assert.equal(missing.status(), 404);
  await page.context().close();
});

test('a business asks about opening a restaurant and gets business items only', async () => {
  const page = await newPage();
  await page.goto(server.base + '/guide');
  await ask(page, RESTAURANT.q, { audience: '企业' });
  assert.equal(new URL(page.url()).searchParams.get('audience'), 'enterprise');
  assert.ok(await page.getByRole('radio', { name: '企业', exact: true }).isChecked(), 'the choice is kept');
  assert.equal((await cardNames(page))[0], RESTAURANT.name);
  assert.equal(await cards(page).first().locator('h3 a').getAttribute('href'), `/items/${RESTAURANT.code}`);
  assert.match((await facts(cards(page).first()))['申请材料'], /食品经营许可申请书/);
  await assertAccessible(page, 'the answers for a business');

  // The ID card is a person's item: a business asking about it is not shown it...
  await ask(page, ID_CARD.q);
  assert.ok(await page.getByRole('radio', { name: '企业', exact: true }).isChecked());
  const forBusiness = await cardNames(page);
  assert.ok(forBusiness.every((n) => !n.includes('居民身份证')), forBusiness.join('、'));
  // ...and a person is.
  await ask(page, ID_CARD.q, { audience: '个人' });
  assert.equal(new URL(page.url()).searchParams.get('audience'), 'citizen');
  assert.equal((await cardNames(page))[0], ID_CARD.name);
  await page.context().close();
});

test('asking near me names the nearest community station with its distance', async () => {
  const stations = (await (await fetch(server.base + '/api/v1/units?kind=station')).json()).map((u) => u.name);
  const page = await newPage({
    geolocation: { latitude: 38.87, longitude: 121.53 },
    permissions: ['geolocation'],
  });
  await page.goto(server.base + '/guide');
  await page.getByLabel('您想办什么？').fill(FLEXIBLE_WORK);
  await page.getByRole('button', { name: '找离我最近的驿站' }).click();
  await page.waitForURL(/lat=38\.87/);
  const url = new URL(page.url());
  assert.equal(url.searchParams.get('q'), FLEXIBLE_WORK);
  assert.match(url.searchParams.get('lng'), /^121\.53/);
  assert.equal(await page.locator('#located').innerText(), '已按您的位置查找最近的驿站');

  const where = cards(page).first().locator('dt:text-is("到哪里办") + dd > ul > li');
  const first = where.first();
  assert.equal(await first.locator('.tag').innerText(), '最近的驿站');
  const station = await first.locator('strong').innerText();
  assert.ok(stations.includes(station), `${station} is a community station`);
  assert.match(await first.innerText(), /（\d+ m）|（\d+\.\d km）/, 'the distance');
  assert.match(await first.innerText(), /开放|现在不开放/);
  assert.match(await where.nth(1).innerText(), /大厅.*（\d+(\.\d)? k?m）/s, 'the hall with its distance too');
  await assertAccessible(page, 'the answers near me');

  // The same by a link with the location in it.
  await page.goto(`${server.base}/guide?q=${encodeURIComponent(FLEXIBLE_WORK)}&lat=38.87&lng=121.53`);
  assert.equal(await cards(page).first().locator('.tag', { hasText: '最近的驿站' }).count(), 1);
  await page.context().close();
});

test('typos and traditional characters still find the item', async () => {
  const page = await newPage();
  await page.goto(server.base + '/guide');
  const problems = [];
  for (const q of [
    '居民身份證補領', // traditional characters
    '身份證丟了怎麼補辦',
    '身份证丢了怎么补半', // 办 → 半, same sound
    '身份正丢了怎么补办', // 证 → 正
    '身分证丢了怎么补办', // 份 → 分, the commonest slip
  ]) {
    await ask(page, q);
    const names = await cardNames(page);
    if (names[0] !== ID_CARD.name) problems.push(`${q}: ${names.join('、')}`);
  }
  assert.deepEqual(problems, [], `${ID_CARD.name} should come first`);
  await page.context().close();
});

test('questions that fit nothing point to a person, and nothing typed runs as script', async () => {
  const page = await newPage();
  const dialogs = [];
  page.on('dialog', async (d) => {
    dialogs.push(d.message());
    await d.dismiss();
  });
  await page.goto(server.base + '/guide');
  for (const q of ['😀🎉🙏', "' OR 1=1 --", '<script>alert(1)</script>', '"><img src=x onerror=alert(2)>']) {
    const response = await ask(page, q);
    assert.equal(response.status(), 200, q);
    assert.equal(await page.getByLabel('您想办什么？').inputValue(), q, 'the question is shown as typed');
    assert.equal(await cards(page).count(), 0, q);
    const none = page.locator('.nothing-fits');
    assert.ok(await none.isVisible(), q);
    assert.match(await none.innerText(), /没有找到与您的问题相符的事项/);
    assert.equal(await none.locator('a[href="tel:12345"]').count(), 1, '12345');
    assert.equal(await page.locator('[onerror]').count(), 0, 'no injected element');
    const scripts = await page.locator('script').evaluateAll((s) => s.map((e) => e.textContent));
    assert.ok(scripts.every((s) => !s.includes('alert(')), 'no injected script');
    if (q.startsWith('<script>')) await assertAccessible(page, 'the nothing-fits block');
  }
  assert.deepEqual(dialogs, [], 'no dialog fired');
  // The SQL-looking question harmed nothing.
  await ask(page, ID_CARD.q);
  assert.equal((await cardNames(page))[0], ID_CARD.name);
  await page.context().close();
});

test('where the guide says to call the consultation phone, it gives the number', async () => {
  const page = await newPage();
  const problems = [];
  await page.goto(`${server.base}/guide?q=${encodeURIComponent('😀')}`);
  const phones = await page.locator('.nothing-fits a[href^="tel:"]').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  if (!phones.some((p) => p !== 'tel:12345')) {
    problems.push(`the nothing-fits block says 拨打咨询电话 but gives only ${phones.join(' ')}`);
  }
  await page.goto(`${server.base}/items/${ID_CARD.code}#book`);
  const book = await page.locator('#book + p').innerText();
  if (/咨询电话/.test(book) && !/\d{3,4}-?\d{7,8}/.test(book)) {
    problems.push(`the 预约办理 section says 拨打咨询电话 without a number: ${book}`);
  }
  assert.deepEqual(problems, []);
  await page.context().close();
});

test('a 10,000-character question is refused with the error next to the field', async () => {
  const page = await newPage();
  await page.goto(server.base + '/guide');
  const field = page.getByLabel('您想办什么？');
  const long = 'Please tell me what I need. '.repeat(400).slice(0, 10_000);
  assert.equal(long.length, 10_000);
  // Typed or pasted, the field itself keeps 200 characters...
  await field.fill(long);
  assert.equal((await field.inputValue()).length, 200);
  // ...but a browser that ignores the limit (or a script) can send all of it: the server says no.
  await field.evaluate((input) => input.removeAttribute('maxlength'));
  await field.fill(long);
  const [response] = await Promise.all([
    page.waitForNavigation(),
    page.getByRole('button', { name: '查询', exact: true }).click(),
  ]);
  assert.equal(response.status(), 422);
  const error = page.locator('#q-error');
  assert.ok(await error.isVisible());
  assert.equal(await error.innerText(), '问题最多 200 个字，请说得简短一些。');
  assert.equal(await page.locator('.field:has(#q) > #q-error').count(), 1, 'next to the field');
  assert.equal(await field.getAttribute('aria-invalid'), 'true');
  assert.equal(await field.getAttribute('aria-describedby'), 'q-error');
  assert.equal(await cards(page).count(), 0);
  assert.equal(await page.locator('.nothing-fits').count(), 0);
  await assertAccessible(page, 'the too-long question');
  await page.context().close();
});

test('a 3,000-character Chinese question in a link is refused with a readable message', async () => {
  // 3,000 Chinese characters make a 27 KB address. (Past 64 KB the HTTP server, hyper, refuses
  // the address itself with 414 before the application sees it; that limit is not ours.)
  const page = await newPage();
  let status = 'no response';
  try {
    status = (await page.goto(`${server.base}/guide?q=${encodeURIComponent('办'.repeat(3_000))}`)).status();
  } catch (e) {
    status = `navigation failed: ${e.message.split('\n')[0].slice(0, 80)}`;
  }
  const text = await page.locator('body').innerText().catch(() => '');
  assert.ok(/问题太长|问题最多 200 个字/.test(text), `status ${status}; the page says: ${text.slice(0, 120)}`);
  await page.context().close();
});

test('the kiosk: 办事指南, ask, open the item, back to the start', async () => {
  const page = await newPage();
  await page.goto(server.base + '/kiosk');
  await page.locator('.kiosk-choice', { hasText: '办事指南' }).click();
  await page.waitForURL(server.base + '/kiosk/guide');
  assert.equal(await page.getAttribute('body', 'class'), 'face-kiosk');
  assert.equal(await page.locator('h1').innerText(), '办事指南');
  await assertAccessible(page, '/kiosk/guide');

  await ask(page, ID_CARD.q);
  assert.match(page.url(), /\/kiosk\/guide\?q=/);
  assert.equal(await page.getAttribute('body', 'class'), 'face-kiosk');
  assert.equal((await cardNames(page))[0], ID_CARD.name);
  const hrefs = await page.locator('li.answer-card a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  assert.ok(hrefs.every((h) => h.startsWith('/kiosk/items/')), 'the answers stay on the kiosk');
  await assertAccessible(page, 'the kiosk answers');

  await cards(page).first().getByRole('link', { name: '查看完整指南' }).click();
  await page.waitForURL(`${server.base}/kiosk/items/${ID_CARD.code}`);
  assert.equal(await page.getAttribute('body', 'class'), 'face-kiosk');
  assert.equal(await page.locator('h1').innerText(), ID_CARD.name);
  assert.equal(await page.locator('#book').innerText(), '预约办理');
  await assertAccessible(page, `/kiosk/items/${ID_CARD.code}`);

  const home = page.getByRole('link', { name: '返回首页' });
  const box = await home.boundingBox();
  assert.ok(box.height >= 64 && box.width >= 64, 'a large way home');
  await home.click();
  await page.waitForURL(server.base + '/kiosk');
  await page.context().close();
});

test('the kiosk guide has touch targets of 64 px at least', async () => {
  const page = await newPage();
  const small = [];
  for (const path of [`/kiosk/guide?q=${encodeURIComponent(ID_CARD.q)}`, `/kiosk/items/${ID_CARD.code}`]) {
    await page.goto(server.base + path);
    // A radio's target is its label; everything else is its own target.
    const targets = await page.locator('main a, main button:visible, main input[type=search], main label:has(input[type=radio])').evaluateAll((els) =>
      els.map((e) => {
        const r = e.getBoundingClientRect();
        return { what: `${e.tagName.toLowerCase()} “${(e.innerText || e.value || '').trim().slice(0, 12)}”`, w: r.width, h: r.height };
      }),
    );
    for (const t of targets) {
      if (t.h < 64 || t.w < 64) small.push(`${path.split('?')[0]}: ${t.what} ${Math.round(t.w)}×${Math.round(t.h)}`);
    }
  }
  assert.deepEqual(small, []);
  await page.context().close();
});

test('the guide in English', async () => {
  const page = await newPage();
  await page.goto(server.base + '/guide?lang=en');
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
  assert.equal(await page.locator('h1').innerText(), 'Service guide');
  assert.equal(await page.getByLabel('What do you want to do?').count(), 1);
  assert.equal(await page.getByRole('button', { name: 'Ask', exact: true }).count(), 1);
  for (const choice of ['Anyone', 'A person', 'A business']) {
    assert.equal(await page.getByRole('radio', { name: choice, exact: true }).count(), 1, choice);
  }
  assert.equal(await page.getByRole('heading', { name: 'People often ask' }).count(), 1);
  await assertAccessible(page, '/guide?lang=en');

  await page.goto(`${server.base}/guide?lang=en&q=${encodeURIComponent(ID_CARD.q)}`);
  assert.equal(await page.getByRole('heading', { name: 'Items that answer your question' }).count(), 1);
  const card = cards(page).first();
  assert.equal(await card.locator('h3').innerText(), ID_CARD.name);
  assert.deepEqual(Object.keys(await facts(card)), ['Materials', 'Promised time', 'Fees', 'Online', 'Visits', 'Where to go']);
  assert.equal(await card.getByRole('link', { name: 'Full guide' }).count(), 1);
  await assertAccessible(page, 'the answers in English');

  await page.goto(`${server.base}/items/${ID_CARD.code}?lang=en#book`);
  assert.equal(await page.locator('#book').innerText(), 'Book');
  const headings = await page.locator('main h2').allInnerTexts();
  for (const h of ['Conditions', 'Materials', 'Steps', 'Where to go', 'Book', 'Frequently asked', 'Legal basis']) {
    assert.ok(headings.includes(h), `the item page has ${h}`);
  }
  await assertAccessible(page, `/items/${ID_CARD.code} in English`);

  await page.goto(`${server.base}/guide?lang=en&q=${encodeURIComponent('😀')}`);
  assert.match(await page.locator('.nothing-fits').innerText(), /No service item fits your question/);
  await assertAccessible(page, 'nothing fits, in English');
  await page.goto(`${server.base}/guide?lang=en&q=${'a'.repeat(201)}`);
  assert.equal(await page.locator('#q-error').innerText(), 'A question may have at most 200 characters; please shorten it.');
  await page.goto(`${server.base}/kiosk/guide?lang=en`);
  assert.equal(await page.getByRole('link', { name: 'Back to start' }).count(), 1);
  await assertAccessible(page, '/kiosk/guide?lang=en');
  await page.context().close();
});

test('someone who switches to English gets the answers in English', async () => {
  const page = await newPage();
  const problems = [];
  // On the portal: the switch on the guide page, then a question in the English form.
  await page.goto(server.base + '/guide');
  await page.getByRole('link', { name: 'English' }).click();
  await page.waitForURL(/lang=en/);
  await ask(page, ID_CARD.q, { label: 'What do you want to do?', button: 'Ask' });
  if ((await page.getAttribute('html', 'lang')) !== 'en') {
    problems.push(`the answers to the English form are in ${await page.getAttribute('html', 'lang')}`);
  }
  await page.context().close();
  // On the kiosk: English, then 办事指南 (the Service guide).
  const kiosk = await newPage();
  await kiosk.goto(server.base + '/kiosk');
  await kiosk.locator('.kiosk-choice', { hasText: 'English' }).click();
  await kiosk.waitForURL(/lang=en/);
  await kiosk.locator('.kiosk-choice', { hasText: 'Service guide' }).click();
  await kiosk.waitForURL(/\/kiosk\/guide/);
  if ((await kiosk.getAttribute('html', 'lang')) !== 'en') {
    problems.push(`the kiosk guide after choosing English is in ${await kiosk.getAttribute('html', 'lang')}`);
  }
  await kiosk.context().close();
  assert.deepEqual(problems, []);
});

test('the English guide’s own words are English', async () => {
  const page = await newPage();
  const problems = [];
  await page.goto(`${server.base}/guide?lang=en&q=${encodeURIComponent(ID_CARD.q)}`);
  const f = await facts(cards(page).first());
  if (/\b1 visits\b/.test(f.Visits)) problems.push(`card: “${f.Visits}”`);
  const materialsLine = f.Materials.split('\n')[0];
  if (/[，：（）]/.test(materialsLine)) problems.push(`card: “${materialsLine}”`);
  const windows = f['Where to go'].match(/Windows.{0,3}/)?.[0] ?? '';
  if (windows.includes('：')) problems.push(`card: “${windows}”`);
  const hours = f['Where to go'].match(/Open [^\n]*/)?.[0] ?? '';
  if (hours.includes('，')) problems.push(`card: “${hours}”`);
  await page.goto(`${server.base}/items/${ID_CARD.code}?lang=en`);
  const limit = await page.locator('dt:text-is("Promised time") + dd').innerText();
  if (/[（）]/.test(limit)) problems.push(`item: “${limit}”`);
  await page.goto(`${server.base}/guide?lang=en&q=${encodeURIComponent('😀')}`);
  const hotline = await page.locator('.nothing-fits li', { hasText: 'hotline' }).innerText();
  if (hotline.includes('：')) problems.push(`nothing fits: “${hotline}”`);
  assert.deepEqual(problems, []);
  await page.context().close();
});

test('the guide pages name the district at the top and write dates the Chinese way', async () => {
  const page = await newPage();
  await page.goto(server.base + '/');
  const brand = await page.locator('.masthead .brand').innerText();
  assert.match(brand, /大连高新技术产业园区/);
  const problems = [];
  for (const path of ['/guide', `/items/${ID_CARD.code}`, '/kiosk/guide']) {
    await page.goto(server.base + path);
    const here = await page.locator('.masthead .brand').innerText();
    if (here !== brand) problems.push(`${path}: the masthead reads “${here}”, the home page “${brand}”`);
  }
  await page.goto(`${server.base}/items/${ID_CARD.code}`);
  const version = await page.locator('main > p.muted').last().innerText();
  if (/\d{4}-\d{2}-\d{2}/.test(version)) problems.push(`/items/${ID_CARD.code}: “${version}” (ui.md: 2026年11月25日)`);
  assert.deepEqual(problems, []);
  await page.context().close();
});

test('the guide API answers in JSON', async () => {
  const get = (q, more = '') => fetch(`${server.base}/api/v1/guide?q=${encodeURIComponent(q)}${more}`);
  const res = await get(ID_CARD.q);
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.equal(body.query, ID_CARD.q);
  assert.equal(body.fallback, null);
  assert.equal(body.results[0].code, ID_CARD.code);
  assert.equal(body.results[0].name, ID_CARD.name);
  assert.equal(typeof body.results[0].score, 'number');
  assert.equal(body.results[0].url, `/items/${ID_CARD.code}`);

  const business = await (await get(RESTAURANT.q, '&audience=enterprise')).json();
  assert.equal(business.results[0].code, RESTAURANT.code);

  const none = await (await get('😀')).json();
  assert.deepEqual(none.results, []);
  assert.equal(none.fallback.hotline, '12345');

  assert.equal((await get('办'.repeat(200))).status, 200);
  assert.equal((await get('办'.repeat(201))).status, 422);
  assert.equal((await get('a'.repeat(10_000))).status, 422);
});
