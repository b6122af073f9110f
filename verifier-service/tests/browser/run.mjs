// Drives the clerk's page in Debian's headless Chromium (playwright-core),
// for verifier-service/tests/browser.rs, which starts the service and makes
// the presentations. One JSON object per line on stdout and stdin:
//
//   → {"event":"challenge","nonce":…,"verifier":…}   the page's challenge
//   ← {"tampered":"SP2:…","replayed":"SP2:…"}           the Rust side wrote the
//                                                     camera's Y4M file for it
//   → {"event":"screenshot","path":…}                 for each result
//   → {"event":"done"}                                every check passed
//
// Anything else on stdout is diagnostics. Exit status 0 only when every
// check passed. Usage: node run.mjs '<json options>' with options
// { url, key, chromium, y4m, profile, screenshots, playwright }.
import { createInterface } from "node:readline";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const opts = JSON.parse(process.argv[2] || "{}");
const { chromium } = await import(pathToFileURL(join(opts.playwright, "index.mjs")).href);

const send = (obj) => process.stdout.write(`${JSON.stringify(obj)}\n`);
const log = (...a) => process.stderr.write(`[browser] ${a.join(" ")}\n`);
const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
async function receive() {
  const { value, done } = await lines.next();
  if (done) throw new Error("the test closed stdin");
  return JSON.parse(value);
}

function check(cond, what) {
  if (!cond) throw new Error(`check failed: ${what}`);
  log(`ok: ${what}`);
}

const RESULT_DONE = '#result:is([data-state="valid"], [data-state="invalid"], [data-state="unavailable"])';

mkdirSync(opts.screenshots, { recursive: true });
const context = await chromium.launchPersistentContext(opts.profile, {
  executablePath: opts.chromium,
  headless: true,
  viewport: { width: 1280, height: 1000 },
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
    `--use-file-for-fake-video-capture=${opts.y4m}`,
  ],
});

let failed = null;
try {
  await run(context);
} catch (e) {
  failed = e;
} finally {
  await context.close().catch(() => {});
}
if (failed) {
  log(`FAILED: ${failed.stack || failed}`);
  process.exit(1);
}
send({ event: "done" });
process.exit(0);

async function screenshot(page, name) {
  const path = join(opts.screenshots, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  send({ event: "screenshot", path });
}

async function resultState(page) {
  await page.waitForSelector(RESULT_DONE, { timeout: 30000 });
  return page.getAttribute("#result", "data-state");
}

/** Types like a USB scanner: the characters as key presses, then Enter. */
async function scan(page, text) {
  await page.focus("#scan-input");
  await page.keyboard.insertText(text.slice(0, -1));
  await page.keyboard.type(text.slice(-1));
  await page.keyboard.press("Enter");
}

async function run(context) {
  const base = new URL(opts.url);
  const page = await context.newPage();
  const foreign = [];
  const verifyLanguages = [];
  const consoleErrors = [];
  page.on("request", (r) => {
    const u = new URL(r.url());
    if (u.origin !== base.origin && u.protocol !== "data:" && u.protocol !== "blob:") {
      foreign.push(r.url());
    }
    if (u.pathname === "/v1/verify") verifyLanguages.push(r.headers()["accept-language"]);
  });
  page.on("console", (m) => {
    // A 4xx answer is logged as "Failed to load resource"; CSP violations
    // and script errors are what must not happen.
    if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) {
      consoleErrors.push(m.text());
    }
  });
  page.on("pageerror", (e) => consoleErrors.push(String(e)));

  // 1. The page takes the key from the fragment and shows a challenge.
  await page.goto(new URL(`/#key=${encodeURIComponent(opts.key)}`, base).href);
  await page.waitForSelector('#challenge-qr:not([data-nonce=""]) svg', { timeout: 20000 });
  check(!page.url().includes("key="), "the key is gone from the address bar");
  check(
    (await page.evaluate(() => document.activeElement && document.activeElement.id)) === "scan-input",
    "the scanner field has the focus",
  );
  check((await page.getAttribute("html", "lang")) === "en", "html lang is en");
  const nonce = await page.getAttribute("#challenge-qr", "data-nonce");
  const verifier = await page.getAttribute("#challenge-qr", "data-verifier");
  check(/\d+ s/.test(await page.textContent("#challenge-status")), "the challenge counts down");
  send({ event: "challenge", nonce, verifier });

  // 2. The Rust side wrote the presentation for that challenge into the
  //    camera's video file; the page reads it from the (fake) webcam.
  const given = await receive();
  await page.click("#camera-toggle");
  check((await resultState(page)) === "valid", "webcam presentation: GREEN");
  const body = await page.textContent("#result");
  for (const word of ["VALID", "Residence permit", "Given name", "Family name", "Amira", "Haddad"]) {
    check(body.includes(word), `green result shows "${word}"`);
  }
  check(!body.includes("1990-04-12"), "an undisclosed claim (birth date) is not shown");
  check(
    (await page.textContent("#result-live")).length > 0 &&
      (await page.getAttribute("#result-live", "aria-live")) === "assertive",
    "the result is in an aria-live region",
  );
  await screenshot(page, "green");
  await page.click("#camera-toggle"); // stop the camera
  check(
    (await page.getAttribute("#challenge-qr", "data-nonce")) !== nonce,
    "a new challenge after the verification",
  );

  // 3. A tampered presentation from the USB scanner: RED with reasons in words.
  await scan(page, given.tampered);
  check((await resultState(page)) === "invalid", "tampered presentation: RED");
  const red = await page.textContent("#result");
  check(red.includes("NOT VALID") && red.includes("Reasons"), "red result says NOT VALID with reasons");
  check(!red.includes("Amira"), "no claims of the previous citizen remain");
  const reasons = await page.$$eval("#result .reasons li", (li) => li.map((n) => n.textContent.trim()));
  check(reasons.length > 0 && reasons.every((r) => r.length > 10 && !/^[a-z_]+$/.test(r)), `reasons in words: ${JSON.stringify(reasons)}`);
  await screenshot(page, "red");

  // 4. Keyboard: Esc clears the result; nothing personal is kept.
  await page.keyboard.press("Escape");
  check((await page.getAttribute("#result", "data-state")) === "idle", "Esc clears the result");
  const stored = await page.evaluate(() =>
    JSON.stringify([Object.entries(sessionStorage), Object.entries(localStorage)]),
  );
  check(!stored.includes("Amira") && !stored.includes("SP2:"), "no claims or payloads in storage");
  check((await page.inputValue("#scan-input")) === "", "the scanner field is emptied");

  // 5. Quick check (no challenge): the result says holder binding was not
  //    checked for this counter.
  await page.check("#quick");
  check((await page.textContent("#challenge-status")).includes("Quick check"), "quick check: no code needed");
  await scan(page, given.replayed);
  check((await resultState(page)) === "valid", "quick check: GREEN");
  const quick = await page.textContent("#result-live");
  check(
    /NOT checked \(quick check\)/.test(quick),
    `quick check says holder binding was not checked: ${JSON.stringify(quick)}`,
  );
  await screenshot(page, "quick");
  await page.uncheck("#quick");
  await page.keyboard.press("Escape");

  // 6. German: the page, the Accept-Language sent, and the verdict's words.
  await page.selectOption("#lang", "de");
  check((await page.getAttribute("html", "lang")) === "de", "html lang is de");
  await scan(page, given.replayed);
  check((await resultState(page)) === "invalid", "German: RED");
  const de = await page.textContent("#result");
  check(de.includes("NICHT GÜLTIG") && de.includes("Gründe"), "German result page");
  check(verifyLanguages.at(-1) === "de", "Accept-Language: de sent to /v1/verify");
  const deReasons = await page.$$eval("#result .reasons li", (li) => li.map((n) => n.textContent.trim()));
  check(deReasons.length > 0, `German reasons: ${JSON.stringify(deReasons)}`);
  await screenshot(page, "red-de");

  // 7. Scanning anew clears the previous result at the first keystroke.
  await page.focus("#scan-input");
  await page.keyboard.type("S");
  check((await page.getAttribute("#result", "data-state")) === "idle", "a new scan clears the result");
  await page.fill("#scan-input", "");

  // 8. Without a key in the address: a labelled form asks for it, a wrong
  //    key is refused, the right one opens the counter.
  const second = await context.newPage();
  await second.goto(base.href);
  await second.waitForSelector("#key-section:not([hidden])");
  check(
    (await second.evaluate(() => document.activeElement && document.activeElement.id)) === "key-input",
    "no key: the key field is asked for and has the focus",
  );
  await second.keyboard.type("not-the-key");
  await second.keyboard.press("Enter");
  await second.waitForSelector("#key-error:not([hidden])");
  check(true, "a wrong key is refused");
  await second.keyboard.type(opts.key);
  await second.keyboard.press("Enter");
  await second.waitForSelector('#challenge-qr:not([data-nonce=""]) svg');
  check(
    (await second.evaluate(() => document.activeElement && document.activeElement.id)) === "scan-input",
    "the right key opens the counter, scanner field focused",
  );
  await second.close();

  check(foreign.length === 0, `no request left the service's origin ${JSON.stringify(foreign)}`);
  check(consoleErrors.length === 0, `no script or CSP errors ${JSON.stringify(consoleErrors)}`);
}
