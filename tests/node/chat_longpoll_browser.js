// Headless Chromium against examples/chat: two visitors (separate browser
// contexts, so each has its own _xsrf cookie and a foreground page) open the
// chat; one posts through the form (the page's own JS sends the cookie's
// token back as a form field), the other shows the message from its parked
// long poll.
// Usage: node tests/node/chat_longpoll_browser.js http://127.0.0.1:PORT
// Prints one PASS/FAIL line per check; exits 1 on any failure.
"use strict";
const { chromium } = require("playwright-core");

const url = process.argv[2];
const WAIT = 5000;  // hang guard for each wait, not a timing requirement
let failures = 0;

const guard = setTimeout(() => {
  console.log("FAIL chat browser: hang guard (60 s)");
  process.exit(1);
}, 60000);

async function check(name, fn) {
  try {
    await fn();
    console.log("PASS chat browser: " + name);
  } catch (e) {
    failures++;
    console.log("FAIL chat browser: " + name + "\n    " + String(e.stack || e).split("\n").slice(0, 4).join("\n    "));
  }
}

function assert(cond, what) {
  if (!cond) throw new Error("assertion failed: " + what);
}

// The texts of the messages a page shows.
const shown = (page) => page.$$eval("#inbox .message", (ds) => ds.map((d) => d.textContent));

async function waitShown(page, text) {
  await page.waitForFunction(
    (t) => [...document.querySelectorAll("#inbox .message")].some((d) => d.textContent === t),
    text, { timeout: WAIT });
}

async function post(page, text) {
  await page.fill("#message", text);
  await page.click("input[type=submit]");
}

(async () => {
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking"],
  });
  const errors = [];
  try {
    const visitor = async () => (await browser.newContext()).newPage();
    const [a, b] = [await visitor(), await visitor()];
    for (const p of [a, b]) {
      p.on("pageerror", (e) => errors.push(String(e)));
      p.on("response", (r) => { if (r.status() >= 400) errors.push(r.status() + " " + r.url()); });
    }
    await a.goto(url);
    await b.goto(url);

    await check("the page gets the _xsrf cookie, its CSS and JS", async () => {
      for (const p of [a, b]) {
        const cookies = await p.context().cookies(url);
        assert(cookies.some((c) => c.name === "_xsrf" && c.value.startsWith("2|")), JSON.stringify(cookies));
      }
      const pos = await a.$eval("#body", (e) => getComputedStyle(e).position);
      assert(pos === "absolute", "chat.css applied (#body is " + pos + ")");
      assert((await shown(a)).length === 0, "an empty inbox");
    });

    const hello = "hello from A " + Date.now();
    await check("a message posted in page A shows in page B", async () => {
      await post(a, hello);
      await waitShown(b, hello);
      await waitShown(a, hello);
      assert((await a.inputValue("#message")) === "", "A's input cleared");
    });

    await check("and one posted in B shows in A, each once", async () => {
      const reply = "<b>reply</b> from B & co";
      await post(b, reply);
      await waitShown(a, reply);
      await waitShown(b, reply);
      for (const p of [a, b]) assert(JSON.stringify(await shown(p)) === JSON.stringify([hello, reply]), "both, once, in order");
      assert((await a.$$("#inbox b")).length === 0, "the body is text, not markup");
    });

    await check("a page opened later lists the cached messages", async () => {
      const c = await visitor();
      await c.goto(url);
      assert((await shown(c)).length === 2, "two messages rendered by the server");
      const third = "third " + Date.now();
      await post(c, third);
      await waitShown(a, third);
      await waitShown(b, third);
      await c.close();
    });

    await check("no page errors and no failed requests", async () => {
      assert(errors.length === 0, errors.join("; "));
    });
  } finally {
    await browser.close();
    clearTimeout(guard);
  }
  process.exit(failures ? 1 : 0);
})().catch((e) => {
  console.log("FAIL chat browser: " + e);
  process.exit(1);
});
