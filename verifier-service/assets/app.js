// The clerk's counter page: shows the counter's challenge QR, reads the
// citizen's presentation QR from the webcam (jsQR) or a USB scanner (a
// focused text field), asks the service to verify it and shows green, red
// or amber ("could not check"). No framework, no storage of claims: the
// result lives in the DOM (and `shown`, for a language switch) until the
// next scan, Esc, or RESULT_TTL_S seconds.
"use strict";

(() => {
  const KEY_STORAGE = "stele.counterKey"; // sessionStorage: gone with the tab
  const LANG_STORAGE = "stele.lang"; // localStorage: a preference, not personal data
  const RESULT_TTL_S = 60;
  const SCAN_INTERVAL_MS = 120;
  const SAME_CODE_PAUSE_MS = 6000;
  const MAX_FRAME_SIDE = 960;
  const PRESENTATION = /^SP\d{1,3}:/;
  const STRINGS = window.STELE_I18N || { en: {} };

  const $ = (id) => document.getElementById(id);
  const el = {
    lang: $("lang"),
    keySection: $("key-section"),
    keyForm: $("key-form"),
    keyInput: $("key-input"),
    keyError: $("key-error"),
    counter: $("counter"),
    qr: $("challenge-qr"),
    asks: $("challenge-asks"),
    challengeStatus: $("challenge-status"),
    renew: $("challenge-renew"),
    payloadText: $("challenge-payload"),
    scanForm: $("scan-form"),
    scanInput: $("scan-input"),
    quick: $("quick"),
    cameraToggle: $("camera-toggle"),
    cameraNote: $("camera-note"),
    video: $("camera-video"),
    result: $("result"),
    resultHeading: $("result-heading"),
    resultHint: $("result-hint"),
    resultReasons: $("result-reasons"),
    resultBody: $("result-body"),
    resultClear: $("result-clear"),
  };

  let lang = "en";
  let memoryKey = null; // when sessionStorage is unavailable
  let challenge = null; // { nonce, verifier, expiresAt (local ms), types, claims }
  let challengeTimer = 0;
  let clearTimer = 0;
  let busy = false;
  let shown = null; // what the result area shows: { kind, data }, for re-rendering on a language switch
  let camera = null; // { stream, timer, canvas, ctx }
  let lastCode = { hash: 0, at: 0 };

  // ---- strings ---------------------------------------------------------

  function t(key, vars) {
    const table = STRINGS[lang] || {};
    let s = table[key] !== undefined ? table[key] : (STRINGS.en || {})[key];
    if (s === undefined) s = key;
    if (vars) for (const [k, v] of Object.entries(vars)) s = s.replace(`{${k}}`, String(v));
    return s;
  }

  function humanize(name) {
    const s = String(name).replace(/[_.]+/g, " ").trim();
    return s.charAt(0).toUpperCase() + s.slice(1);
  }

  function label(path) {
    const own = (STRINGS[lang] || {}).labels || {};
    const en = (STRINGS.en || {}).labels || {};
    return own[path] || en[path] || humanize(path);
  }

  function typeLabel(type) {
    const own = (STRINGS[lang] || {}).types || {};
    const en = (STRINGS.en || {}).types || {};
    return own[type] || en[type] || type;
  }

  function formatTime(text) {
    const ms = Date.parse(text);
    if (!Number.isFinite(ms)) return String(text);
    try {
      return new Intl.DateTimeFormat(lang, { dateStyle: "long" }).format(new Date(ms));
    } catch {
      return String(text);
    }
  }

  function applyLanguage() {
    document.documentElement.lang = lang;
    el.lang.value = lang;
    for (const node of document.querySelectorAll("[data-i18n]")) {
      node.textContent = t(node.dataset.i18n);
    }
    document.title = `Stele — ${t("title")}`;
    el.cameraToggle.textContent = t(camera ? "camera_stop" : "camera_start");
    if (typeof window.jsQR !== "function") el.cameraNote.textContent = t("camera_missing");
    renderChallengeText();
    rerenderResult();
  }

  function chooseLanguage() {
    let stored = null;
    try {
      stored = localStorage.getItem(LANG_STORAGE);
    } catch {
      stored = null;
    }
    if (stored && STRINGS[stored]) return stored;
    for (const l of navigator.languages || []) {
      const base = String(l).slice(0, 2).toLowerCase();
      if (STRINGS[base]) return base;
    }
    return "en";
  }

  // ---- the counter key ---------------------------------------------------

  function getKey() {
    try {
      return sessionStorage.getItem(KEY_STORAGE) || memoryKey;
    } catch {
      return memoryKey;
    }
  }

  function setKey(key) {
    memoryKey = key || null;
    try {
      if (key) sessionStorage.setItem(KEY_STORAGE, key);
      else sessionStorage.removeItem(KEY_STORAGE);
      memoryKey = null;
    } catch {
      // keep it in memory only
    }
  }

  /** Moves a key given as `#key=…` into sessionStorage and off the address bar. */
  function takeKeyFromFragment() {
    const match = /(?:^#|&)key=([^&]*)/.exec(location.hash);
    if (!match) return;
    let key = "";
    try {
      key = decodeURIComponent(match[1]).trim();
    } catch {
      key = "";
    }
    if (key) setKey(key);
    history.replaceState(null, "", location.pathname + location.search);
  }

  function askForKey(rejected) {
    setKey(null);
    stopChallenge();
    el.counter.hidden = true;
    el.keySection.hidden = false;
    el.keyError.hidden = !rejected;
    el.keyInput.value = "";
    el.keyInput.focus();
  }

  function startCounter() {
    el.keySection.hidden = true;
    el.counter.hidden = false;
    el.scanInput.focus();
    renewChallenge();
  }

  function headers() {
    return {
      "Content-Type": "application/json",
      Accept: "application/json, application/problem+json",
      "Accept-Language": lang,
      Authorization: `Bearer ${getKey() || ""}`,
    };
  }

  // ---- the challenge -----------------------------------------------------

  function stopChallenge() {
    clearTimeout(challengeTimer);
    challenge = null;
    el.qr.replaceChildren();
    el.qr.dataset.nonce = "";
    el.qr.dataset.verifier = "";
    el.qr.dataset.expires = "";
    el.payloadText.value = "";
  }

  function challengeFailed() {
    stopChallenge();
    el.challengeStatus.textContent = t("challenge_failed");
    challengeTimer = setTimeout(renewChallenge, 5000);
  }

  /** Parses the service's SVG as SVG (not HTML), keeping only inert markup. */
  function svgNode(text) {
    if (typeof text !== "string") return null;
    const doc = new DOMParser().parseFromString(text, "image/svg+xml");
    const root = doc.documentElement;
    if (!root || root.namespaceURI !== "http://www.w3.org/2000/svg" || root.localName !== "svg") {
      return null;
    }
    for (const node of root.querySelectorAll("script, foreignObject")) node.remove();
    for (const node of [root, ...root.querySelectorAll("*")]) {
      for (const attr of [...node.attributes]) {
        if (/^on/i.test(attr.name) || /href$/i.test(attr.name)) node.removeAttribute(attr.name);
      }
    }
    return document.importNode(root, true);
  }

  async function renewChallenge() {
    clearTimeout(challengeTimer);
    if (!getKey()) return askForKey(false);
    el.challengeStatus.textContent = t("challenge_loading");
    let res;
    let body = null;
    try {
      res = await fetch("/v1/challenges", { method: "POST", headers: headers(), body: "{}" });
      body = await res.json().catch(() => null);
    } catch {
      return challengeFailed();
    }
    if (res.status === 401 || res.status === 403) return askForKey(true);
    if (!res.ok || !body || typeof body.nonce !== "string" || typeof body.verifier !== "string") {
      return challengeFailed();
    }
    // Count down on the server's clock: expiry minus the server's "now".
    const serverNow = Date.parse(res.headers.get("Date") || "");
    const expires = Date.parse(body.expires);
    const offset = Number.isFinite(serverNow) ? serverNow - Date.now() : 0;
    const expiresAt = Number.isFinite(expires) ? expires - offset : Date.now() + 60000;
    const svg = svgNode(body.qr_svg);
    el.qr.replaceChildren(...(svg ? [svg] : []));
    const svgEl = el.qr.querySelector("svg");
    if (svgEl) svgEl.setAttribute("aria-label", t("challenge_heading"));
    el.qr.dataset.nonce = body.nonce;
    el.qr.dataset.verifier = body.verifier;
    el.qr.dataset.expires = String(body.expires || "");
    el.payloadText.value = typeof body.qr_payload === "string" ? body.qr_payload : "";
    challenge = {
      nonce: body.nonce,
      verifier: body.verifier,
      expiresAt,
      types: Array.isArray(body.types) ? body.types.map(String) : [],
      claims: Array.isArray(body.claims) ? body.claims.map(String) : [],
    };
    renderChallengeText();
    tick();
  }

  function tick() {
    clearTimeout(challengeTimer);
    if (!challenge) return;
    const left = Math.ceil((challenge.expiresAt - Date.now()) / 1000);
    if (left <= 0) return renewChallenge();
    renderChallengeStatus(left);
    challengeTimer = setTimeout(tick, 1000);
  }

  function renderChallengeStatus(left) {
    if (el.quick.checked) el.challengeStatus.textContent = t("challenge_off");
    else if (challenge) el.challengeStatus.textContent = t("challenge_expires", { s: left });
  }

  function renderChallengeText() {
    el.qr.classList.toggle("dim", el.quick.checked);
    if (!challenge) {
      el.asks.textContent = "";
      return;
    }
    const types = challenge.types.length
      ? challenge.types.map(typeLabel).join(", ")
      : t("challenge_any");
    let text = `${t("challenge_asks")} ${types}`;
    if (challenge.claims.length) {
      text += `. ${t("challenge_claims")} ${challenge.claims.map(label).join(", ")}`;
    }
    el.asks.textContent = text;
    renderChallengeStatus(Math.max(0, Math.ceil((challenge.expiresAt - Date.now()) / 1000)));
  }

  // ---- verification ------------------------------------------------------

  async function verify(text) {
    const payload = String(text).replace(/[\r\n]+$/, "");
    if (!payload.trim() || busy) return;
    clearResult();
    busy = true;
    const quick = el.quick.checked || !challenge;
    const body = quick ? { payload } : { payload, challenge: challenge.nonce };
    showState("checking", t("result_checking"), "");
    let res;
    let data = null;
    try {
      res = await fetch("/v1/verify", {
        method: "POST",
        headers: headers(),
        body: JSON.stringify(body),
      });
      data = await res.json().catch(() => null);
    } catch {
      res = null;
    }
    busy = false;
    if (!quick) renewChallenge(); // the nonce is single use
    if (!res) return show("unavailable", { detail: t("network_error") });
    if (res.status === 401 || res.status === 403) {
      clearResult();
      return askForKey(true);
    }
    if (res.status === 200 && data && typeof data.verified === "boolean") {
      return show(data.verified === true ? "valid" : "invalid", data, quick);
    }
    // Only a verdict decides. Anything else (an outage, overload, a refused
    // request) is "could not check": amber, with the service's words.
    const problem = data && typeof data === "object" ? data : {};
    return show("unavailable", {
      detail: String(problem.detail || problem.title || t("request_failed")),
    });
  }

  // ---- the result --------------------------------------------------------

  function showState(state, heading, hint) {
    el.result.dataset.state = state;
    el.resultHeading.textContent = heading;
    el.resultHint.textContent = hint;
  }

  function clearResult() {
    clearTimeout(clearTimer);
    shown = null;
    el.resultReasons.replaceChildren();
    el.resultBody.replaceChildren();
    el.resultClear.hidden = true;
    showState("idle", t("result_idle"), "");
  }

  function show(kind, data, quick) {
    shown = { kind, data, quick: quick === true };
    rerenderResult();
    el.resultClear.hidden = false;
    clearTimeout(clearTimer);
    clearTimer = setTimeout(clearResult, RESULT_TTL_S * 1000);
    if (document.activeElement === document.body || !document.activeElement) el.scanInput.focus();
  }

  function rerenderResult() {
    if (!shown) {
      if (el.result.dataset.state === "idle") showState("idle", t("result_idle"), "");
      return;
    }
    const { kind, data, quick } = shown;
    el.resultReasons.replaceChildren();
    el.resultBody.replaceChildren();
    if (kind === "unavailable") {
      showState("unavailable", t("unavailable"), `${t("unavailable_hint")} (${data.detail})`);
      return;
    }
    renderVerdict(kind, data, quick);
  }

  function node(tag, text, attrs) {
    const n = document.createElement(tag);
    if (text !== undefined && text !== null) n.textContent = String(text);
    for (const [k, v] of Object.entries(attrs || {})) n.setAttribute(k, v);
    return n;
  }

  function definitionList(rows) {
    const dl = node("dl");
    for (const [term, value, cls] of rows) {
      dl.append(node("dt", term), node("dd", value, cls ? { class: cls } : undefined));
    }
    return dl;
  }

  /** Claims as [path, label, text] rows; nested objects become `a.b` paths. */
  function claimRows(claims, prefix, rows) {
    for (const [name, value] of Object.entries(claims || {})) {
      const path = prefix ? `${prefix}.${name}` : name;
      if (value && typeof value === "object" && !Array.isArray(value)) {
        claimRows(value, path, rows);
      } else {
        rows.push([path, label(path), claimText(value)]);
      }
    }
    return rows;
  }

  /** Known claims in the order of the label table (names first), others after. */
  function rank(path) {
    const i = Object.keys((STRINGS.en || {}).labels || {}).indexOf(path);
    return i < 0 ? 1e6 : i;
  }

  function claimText(value) {
    if (value === true) return t("yes");
    if (value === false) return t("no");
    if (Array.isArray(value)) return value.map(claimText).join(", ");
    if (value && typeof value === "object") return JSON.stringify(value);
    return String(value);
  }

  function reasonsOf(v) {
    return (Array.isArray(v.reasons) ? v.reasons : []).map((r) => ({
      code: r && r.code,
      message: (r && (r.message || r.code)) || "",
    }));
  }

  function appendReasons(reasons) {
    if (!reasons.length) return;
    const ul = node("ul", null, { class: "reasons" });
    for (const r of reasons) {
      ul.append(node("li", r.message, r.code ? { "data-code": String(r.code) } : undefined));
    }
    // Inside the live region: a screen reader hears the reasons with the verdict.
    el.resultReasons.append(node("h3", t("reasons")), ul);
  }

  /** What to say about holder binding, and whether it is a warning. */
  function holderBinding(hb, kind, quick) {
    if (hb === "verified") return [t("hb_verified"), false];
    // Without a challenge nothing ties the code to this counter and moment.
    if ((hb === "not_checked" || hb === "key_binding_only") && quick) {
      return [t("hb_not_checked_quick"), true];
    }
    if (hb === "not_checked" && kind === "invalid") return [t("hb_skipped"), false];
    if (hb === "key_binding_only" || hb === "failed") return [t(`hb_${hb}`), true];
    return [t("hb_not_checked"), true];
  }

  function renderVerdict(kind, v, quick) {
    const types = (Array.isArray(v.types) ? v.types : []).map(typeLabel).join(", ");
    const reasons = reasonsOf(v);
    const hb = typeof v.holder_binding === "string" ? v.holder_binding : "not_checked";
    const [hbText, hbWarn] = holderBinding(hb, kind, quick);
    const hint =
      kind === "valid"
        ? [types, hbWarn ? `${t("holder_binding")}: ${hbText}` : ""]
            .filter(Boolean)
            .join(". ")
        : t("invalid_hint");
    showState(kind, t(kind), hint);

    const facts = [];
    if (types) facts.push([t("type"), types]);
    if (v.issuer) facts.push([t("issuer"), v.issuer]);
    if (v.valid_from || v.valid_until) {
      facts.push([
        t("validity"),
        t("validity_range", {
          from: v.valid_from ? formatTime(v.valid_from) : "…",
          until: v.valid_until ? formatTime(v.valid_until) : "…",
        }),
      ]);
    }
    facts.push([t("holder_binding"), hbText, hbWarn ? "warn" : ""]);

    if (kind === "invalid") appendReasons(reasons);
    if (kind === "valid") {
      const rows = claimRows(v.claims, "", []).sort((a, b) => rank(a[0]) - rank(b[0]));
      el.resultBody.append(node("h3", t("claims")));
      const claims = rows.length
        ? definitionList(rows.map(([, term, value]) => [term, value]))
        : node("p", t("no_claims"));
      claims.classList.add("claims");
      el.resultBody.append(claims);
    }
    el.resultBody.append(definitionList(facts));
    if (Array.isArray(v.checks) && v.checks.length) {
      const details = node("details");
      details.append(node("summary", t("checks")));
      const ul = node("ul", null, { class: "checks" });
      for (const c of v.checks) {
        if (!c || typeof c !== "object") continue;
        ul.append(node("li", `${t(`check_${c.name}`)}: ${t(`outcome_${c.outcome}`)}`));
      }
      details.append(ul);
      el.resultBody.append(details);
    }
    el.resultBody.append(node("p", t("cleared_after", { s: RESULT_TTL_S }), { class: "hint" }));
  }

  // ---- the webcam ----------------------------------------------------------

  /** FNV-1a: remembers which code was just read without keeping its text. */
  function hash(text) {
    let h = 0x811c9dc5;
    for (let i = 0; i < text.length; i++) {
      h ^= text.charCodeAt(i);
      h = Math.imul(h, 0x01000193) >>> 0;
    }
    return h;
  }

  async function startCamera() {
    if (typeof window.jsQR !== "function" || camera) return;
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        audio: false,
        video: { facingMode: "environment", width: { ideal: 1280 }, height: { ideal: 720 } },
      });
    } catch {
      el.cameraNote.textContent = t("camera_denied");
      return;
    }
    const canvas = document.createElement("canvas");
    const ctx = canvas.getContext("2d", { willReadFrequently: true });
    camera = { stream, canvas, ctx, timer: setInterval(scanFrame, SCAN_INTERVAL_MS) };
    el.video.srcObject = stream;
    el.video.hidden = false;
    el.video.play().catch(() => {});
    el.cameraToggle.textContent = t("camera_stop");
    el.cameraNote.textContent = t("camera_on");
    document.body.dataset.camera = "on";
  }

  function stopCamera() {
    if (!camera) return;
    clearInterval(camera.timer);
    for (const track of camera.stream.getTracks()) track.stop();
    camera = null;
    el.video.srcObject = null;
    el.video.hidden = true;
    el.cameraToggle.textContent = t("camera_start");
    el.cameraNote.textContent = "";
    document.body.dataset.camera = "off";
  }

  function scanFrame() {
    const v = el.video;
    if (!camera || busy || v.readyState < 2 || !v.videoWidth) return;
    const scale = Math.min(1, MAX_FRAME_SIDE / Math.max(v.videoWidth, v.videoHeight));
    const w = Math.round(v.videoWidth * scale);
    const h = Math.round(v.videoHeight * scale);
    if (camera.canvas.width !== w || camera.canvas.height !== h) {
      camera.canvas.width = w;
      camera.canvas.height = h;
    }
    camera.ctx.drawImage(v, 0, 0, w, h);
    const image = camera.ctx.getImageData(0, 0, w, h);
    const code = window.jsQR(image.data, w, h, { inversionAttempts: "dontInvert" });
    if (!code || !code.data || !PRESENTATION.test(code.data)) return;
    const h32 = hash(code.data);
    const now = Date.now();
    // The same phone stays in front of the camera: read a code once.
    if (h32 === lastCode.hash && now - lastCode.at < SAME_CODE_PAUSE_MS) return;
    lastCode = { hash: h32, at: now };
    verify(code.data);
  }

  // ---- wiring ----------------------------------------------------------------

  function init() {
    lang = chooseLanguage();
    takeKeyFromFragment();
    if (typeof window.jsQR !== "function") {
      el.cameraToggle.disabled = true;
      el.cameraToggle.hidden = true;
    }
    document.body.dataset.camera = "off";
    applyLanguage();

    el.lang.addEventListener("change", () => {
      if (!STRINGS[el.lang.value]) return;
      lang = el.lang.value;
      try {
        localStorage.setItem(LANG_STORAGE, lang);
      } catch {
        // a preference only
      }
      applyLanguage();
    });
    el.keyForm.addEventListener("submit", (e) => {
      e.preventDefault();
      const key = el.keyInput.value.trim();
      el.keyInput.value = "";
      if (!key) return;
      setKey(key);
      startCounter();
    });
    el.scanForm.addEventListener("submit", (e) => {
      e.preventDefault();
      const text = el.scanInput.value;
      el.scanInput.value = ""; // the payload is personal data: do not keep it
      verify(text);
    });
    // A new scan starts: the previous citizen's result goes.
    el.scanInput.addEventListener("input", () => {
      if (shown && el.scanInput.value) clearResult();
    });
    el.quick.addEventListener("change", renderChallengeText);
    el.renew.addEventListener("click", renewChallenge);
    el.cameraToggle.addEventListener("click", () => (camera ? stopCamera() : startCamera()));
    el.resultClear.addEventListener("click", () => {
      clearResult();
      el.scanInput.focus();
    });
    document.addEventListener("keydown", (e) => {
      if (e.key === "Escape" && shown) {
        clearResult();
        el.scanInput.focus();
      }
    });
    window.addEventListener("pagehide", () => {
      clearResult();
      stopCamera();
    });

    if (getKey()) startCounter();
    else askForKey(false);
    document.body.dataset.ready = "true";
  }

  init();
})();
