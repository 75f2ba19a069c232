// End-to-end test of the built site (www-dist) in headless Chromium, driven by playwright-core
// with Debian's Chromium (never a downloaded browser). Run by .ci/web.sh (web_e2e):
//
//   XGOALS_NATIVE_XG=<built xg_for_url example> node --test web/e2e/e2e.test.mjs
//
// Environment: XGOALS_WWW_DIST (default www-dist), XGOALS_NATIVE_XG (required: the native
// scorer for a page URL), XGOALS_CHROMIUM (default /usr/bin/chromium), XGOALS_SCREENSHOTS
// (folder for the screenshots of the views), XGOALS_WEB_BENCH_OUT (file for the measured
// latencies), XGOALS_E2E_COMPETITION (default World_Cup).
//
// Expected xG values are never written here: they come from the native scorer, for the exact
// state the page's URL shows.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { serve } from './serve.mjs';

const DIST = process.env.XGOALS_WWW_DIST ?? 'www-dist';
const NATIVE = process.env.XGOALS_NATIVE_XG;
const SHOTS_DIR = process.env.XGOALS_SCREENSHOTS ?? join(tmpdir(), 'xgoals-screenshots');
const COMPETITION = process.env.XGOALS_E2E_COMPETITION ?? 'World_Cup';
const MODEL = join(DIST, 'data', 'model.xgm');
assert.ok(NATIVE, 'set XGOALS_NATIVE_XG to the built xg_for_url example');

/** The native scorer's answer for a page query string. */
function native(query) {
  return JSON.parse(execFileSync(NATIVE, ['--model', MODEL, query], { encoding: 'utf8' }));
}
const SPOT = JSON.parse(execFileSync(NATIVE, ['--penalty-spot'], { encoding: 'utf8' }));

let server, base, context, page, profile;
const problems = [];

function watch(p) {
  p.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  p.on('pageerror', (e) => problems.push(`page error: ${e}`));
}

async function open(query, p = page) {
  await p.goto(`${base}${query}`);
  await p.waitForSelector('main');
}

async function xgReady(p = page) {
  await p.waitForFunction(() => document.querySelector('[data-testid=xg]')?.dataset.xg);
  return p.$eval('[data-testid=xg]', (e) => ({ text: e.textContent, exact: e.dataset.xg }));
}

/** Client coordinates of pitch metres on the analyst pitch. */
async function clientOf(x_m, y_m) {
  return page.evaluate(([x, y, goalX]) => {
    const svg = document.querySelector('svg.analyst-pitch');
    const p = svg.createSVGPoint();
    p.x = y;
    p.y = goalX - x;
    const q = p.matrixTransform(svg.getScreenCTM());
    return { x: q.x, y: q.y };
  }, [x_m, y_m, SPOT.goal_x_m]);
}

async function markerCentre() {
  const b = await page.locator('[data-testid=marker]').boundingBox();
  return { x: b.x + b.width / 2, y: b.y + b.height / 2 };
}

before(async () => {
  mkdirSync(SHOTS_DIR, { recursive: true });
  server = await serve(DIST, 0);
  base = `http://127.0.0.1:${server.address().port}/`;
  profile = mkdtempSync(join(tmpdir(), 'xgoals-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.XGOALS_CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  page = context.pages()[0] ?? (await context.newPage());
  watch(page);
});

after(async () => {
  await context?.close();
  server?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

describe('analyst pitch', () => {
  it('dragging the marker to the penalty spot shows the native scorer\'s xG', async () => {
    await open('?view=pitch');
    await xgReady();
    const from = await markerCentre();
    const to = await clientOf(SPOT.x_m, SPOT.y_m);
    await page.mouse.move(from.x, from.y);
    await page.mouse.down();
    await page.mouse.move(to.x, to.y, { steps: 20 });
    await page.mouse.up();
    await page.waitForFunction((x) => location.search.includes(`x_m=${x}&`), SPOT.x_m);
    const query = await page.evaluate(() => location.search);
    const want = native(query);
    assert.equal(want.x_m, SPOT.x_m, query);
    assert.equal(want.y_m, SPOT.y_m, query);
    const got = await xgReady();
    assert.equal(got.exact, String(want.xg), 'same f32 as the native scorer');
    assert.equal(got.text, want.text);
    await page.screenshot({ path: join(SHOTS_DIR, 'analyst-pitch.png'), fullPage: true });
  });

  it('a URL with state shows that state', async () => {
    const query = '?view=pitch&x_m=100&y_m=20&body=head_or_other&kind=open_play&ctx=after_cross,rebound';
    await open(query);
    const got = await xgReady();
    assert.equal(await page.$eval('#body-part', (e) => e.value), 'head_or_other');
    assert.equal(await page.$eval('#shot-kind', (e) => e.value), 'open_play');
    const checked = await page.$$eval('input[type=checkbox]', (es) => es.filter((e) => e.checked).map((e) => e.id));
    assert.deepEqual(checked, ['ctx-after_cross', 'ctx-rebound']);
    const marker = await page.$eval('[data-testid=marker]', (e) => [e.getAttribute('cx'), e.getAttribute('cy')]);
    assert.deepEqual(marker.map(Number), [20, SPOT.goal_x_m - 100]);
    const want = native(query);
    assert.equal(got.exact, String(want.xg));
    assert.equal(got.text, want.text);
  });

  it('is reachable and movable with the keyboard', async () => {
    await open('?view=pitch&x_m=90&y_m=30');
    await xgReady();
    let reached = false;
    for (let i = 0; i < 20 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached = await page.evaluate(() => document.activeElement?.dataset?.testid === 'marker');
    }
    assert.ok(reached, 'the marker is reachable with Tab');
    await page.keyboard.press('ArrowUp');
    await page.waitForFunction(() => location.search.includes('x_m=91&'));
    const want = native(await page.evaluate(() => location.search));
    assert.equal((await xgReady()).exact, String(want.xg));
  });

  it('works on a phone-sized viewport', async () => {
    const phone = await context.newPage();
    watch(phone);
    await phone.setViewportSize({ width: 390, height: 844 });
    await open('?view=pitch&x_m=95&y_m=40&body=left_foot', phone);
    await xgReady(phone);
    const width = await phone.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 390, `no horizontal scrolling (${width}px)`);
    const box = await phone.locator('svg.analyst-pitch').boundingBox();
    assert.ok(box.width > 300 && box.width <= 390, `pitch fits (${box.width}px)`);
    await phone.screenshot({ path: join(SHOTS_DIR, 'analyst-pitch-phone.png'), fullPage: true });
    await phone.close();
  });
});

describe('match centre', () => {
  const comp = JSON.parse(readFileSync(join(DIST, 'data', 'competitions', `${COMPETITION}.json`), 'utf8'));
  // The match with the most shots (ties: the latest).
  const counts = comp.matches.map((_, i) => comp.shots.filter((s) => s[0] === i).length);
  const best = counts.reduce((b, n, i) => (n >= counts[b] ? i : b), 0);
  const match = comp.matches[best];

  it('lists the matches of a competition', async () => {
    await open(`?view=matches&comp=${COMPETITION}`);
    await page.waitForSelector('table.matches tbody tr');
    assert.equal(await page.locator('table.matches tbody tr').count(), comp.matches.length);
  });

  it('shows one circle per shot of a real match, and a card on tap', async () => {
    await open(`?view=matches&comp=${COMPETITION}&match=${match.id}`);
    await page.waitForSelector('circle.shot');
    assert.equal(await page.locator('circle.shot').count(), counts[best]);
    // A shot record's fields are named in the file's shot_fields.
    const goal = comp.shot_fields.indexOf('goal');
    const goals = comp.shots.filter((s) => s[0] === best && s[goal] === 1).length;
    assert.equal(await page.locator('circle.shot.goal').count(), goals);
    assert.equal(await page.locator('.race-chart svg path.race').count(), 2);
    await page.locator('circle.shot.goal').first().click({ force: true });
    const card = await page.locator('[data-testid=shot-card]').textContent();
    assert.match(card, /xG/);
    assert.match(card, /Goal/);
    await page.screenshot({ path: join(SHOTS_DIR, 'match-centre.png'), fullPage: true });
  });
});

describe('tables and model card', () => {
  it('sorts the team table', async () => {
    await open(`?view=tables&comp=${COMPETITION}`);
    await page.waitForSelector('[data-testid=team-table] tbody tr');
    const col = async () => page.$$eval('[data-testid=team-table] tbody tr td:nth-of-type(2)', (tds) => tds.map((t) => Number(t.textContent)));
    const desc = await col();
    assert.deepEqual(desc, [...desc].sort((a, b) => b - a), 'xG for, descending by default');
    await page.getByRole('button', { name: 'xG for' }).click();
    const asc = await col();
    assert.deepEqual(asc, [...asc].sort((a, b) => a - b));
    await page.getByRole('button', { name: 'xG for' }).click();
    await page.screenshot({ path: join(SHOTS_DIR, 'tables.png'), fullPage: false });
    // The navigation keeps the open competition.
    await page.getByRole('link', { name: 'Match centre' }).click();
    await page.waitForSelector('table.matches tbody tr');
    assert.match(await page.evaluate(() => location.search), new RegExp(`comp=${COMPETITION}`));
  });

  it('shows the model card with the attribution', async () => {
    await open('?view=model');
    await page.waitForSelector('[data-testid=model-version]');
    const index = JSON.parse(readFileSync(join(DIST, 'data', 'index.json'), 'utf8'));
    assert.equal(await page.locator('[data-testid=model-version]').textContent(), index.model.version);
    assert.match(await page.locator('[data-testid=attribution]').textContent(), /CC BY 4\.0/);
    const card = JSON.parse(readFileSync(join(DIST, 'data', 'model-card.json'), 'utf8'));
    assert.equal(await page.locator('ol.features li').count(), card.feature_names.length);
    await page.screenshot({ path: join(SHOTS_DIR, 'model-card.png'), fullPage: true });
  });
});

describe('hostile URLs', () => {
  const cases = [
    ['?view=pitch&x_m=NaN&y_m=1e999&body=%3Cscript%3Ealert(1)%3C/script%3E', /x_m="NaN"/],
    ['?view=%00%ff&ctx=after_cross,evil', /view=/],
    ['?view=matches&comp=..%2F..%2Fetc&match=1', /comp=/],
    [`?view=matches&comp=${COMPETITION}&match=999`, /Unknown match 999/],
    ['?view=tables&comp=Nowhere', /Unknown competition/],
    [`?view=matches&comp=${COMPETITION}&match=${'9'.repeat(400)}`, /match=/],
  ];
  for (const [query, message] of cases) {
    it(`shows an error in the page for ${query.slice(0, 60)}`, async () => {
      await open(query);
      await page.waitForSelector('[role=alert]');
      const alerts = (await page.locator('[role=alert]').allTextContents()).join(' ');
      assert.match(alerts, message);
      assert.equal(await page.locator('nav[aria-label=Views] a').count(), 4, 'the page still works');
      assert.equal(await page.locator('script', { hasText: 'alert(1)' }).count(), 0, 'nothing injected');
    });
  }
});

describe('budgets (measured, not asserted)', () => {
  it('records navigation → interactive pitch, drag → repaint and surface recompute times', async () => {
    const fresh = await context.newPage();
    watch(fresh);
    const loads = [];
    for (let i = 0; i < 5; i++) {
      await open('?view=pitch&x_m=88&y_m=30', fresh);
      await fresh.waitForFunction(() => performance.getEntriesByName('pitch-interactive').length > 0);
      loads.push(await fresh.evaluate(() => performance.getEntriesByName('pitch-interactive')[0].startTime));
    }
    page = fresh;
    await xgReady();
    await page.evaluate(() => performance.clearMeasures());
    const from = await markerCentre();
    const to = await clientOf(100, 45);
    await page.mouse.move(from.x, from.y);
    await page.mouse.down();
    await page.mouse.move(to.x, to.y, { steps: 100 });
    await page.mouse.up();
    await page.waitForTimeout(100);
    const updates = await page.evaluate(() => performance.getEntriesByName('xg-update').map((e) => e.duration));
    for (const body of ['left_foot', 'head_or_other', 'unknown', 'right_foot', 'left_foot', 'head_or_other', 'unknown', 'right_foot', 'left_foot', 'right_foot']) {
      await page.selectOption('#body-part', body);
      await page.waitForTimeout(30);
    }
    const surfaces = await page.evaluate(() => performance.getEntriesByName('xg-surface').map((e) => e.duration));
    const scoring = await page.evaluate(() => performance.getEntriesByName('xg-surface-score').map((e) => e.duration));
    const pct = (xs, p) => {
      const s = [...xs].sort((a, b) => a - b);
      return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
    };
    const result = {
      navigation_to_interactive_ms: { median: pct(loads, 50), max: Math.max(...loads), runs: loads.length },
      drag_update_ms: { n: updates.length, p50: pct(updates, 50), p95: pct(updates, 95), max: Math.max(...updates) },
      surface_recompute_ms: { n: surfaces.length, p50: pct(surfaces, 50), p95: pct(surfaces, 95), max: Math.max(...surfaces) },
      surface_scoring_only_ms: { n: scoring.length, p50: pct(scoring, 50), p95: pct(scoring, 95), max: Math.max(...scoring) },
    };
    console.log(`web budgets: ${JSON.stringify(result)}`);
    if (process.env.XGOALS_WEB_BENCH_OUT) writeFileSync(process.env.XGOALS_WEB_BENCH_OUT, JSON.stringify(result, null, 2));
    assert.ok(updates.length >= 100, `a mark per drag step (${updates.length})`);
    assert.ok(surfaces.length >= 10, `a mark per surface recompute (${surfaces.length})`);
  });
});

describe('console', () => {
  it('has no errors', () => {
    assert.deepEqual(problems, []);
  });
});
