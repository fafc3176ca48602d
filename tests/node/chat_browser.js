// The websocket chat (examples/websocket.c) in headless chromium: two pages
// open the chat, page A posts through its form, page B shows the message;
// markup in a message shows as text; permessage-deflate is negotiated and a
// long (compressed) message goes through. Usage: node chat_browser.js URL
// Exit status 0 when every check holds (tests/integration/test_ws_chat.py).
'use strict';
const assert = require('assert');
const {launch, run} = require('./browser');

const url = process.argv[2];
const WAIT = {timeout: 10000};  // a hang guard, not a timing requirement

// The texts of the messages in a page's inbox.
function inboxTexts(page) {
  return page.$$eval('#inbox .message', (nodes) => nodes.map((n) => n.textContent));
}

function waitForMessage(page, text) {
  return page.waitForFunction(
      (t) => [...document.querySelectorAll('#inbox .message')].some((n) => n.textContent === t),
      text, WAIT);
}

const pageErrors = [];

async function openChat(browser) {
  const page = await browser.newPage();
  page.on('pageerror', (err) => pageErrors.push(err.message));
  await page.goto(url);
  await page.waitForFunction(() => document.body.dataset.connected === 'true', null, WAIT);
  return page;
}

async function post(page, text) {
  await page.fill('#message', text);
  await page.click('input[type=submit]');
}

run(async () => {
  assert(url, 'usage: node chat_browser.js URL');
  const browser = await launch();
  try {
    const a = await openChat(browser);
    const b = await openChat(browser);
    const tag = Math.random().toString(36).slice(2);
    // Chromium offers permessage-deflate; the chat accepts it without
    // context takeover (the page's own socket says what was negotiated).
    const ext = await a.evaluate(() => socket.extensions);
    assert.strictEqual(ext, 'permessage-deflate; server_no_context_takeover; client_no_context_takeover',
                       'negotiated: ' + JSON.stringify(ext));
    const long = `a long one ${tag} ` + 'compressible words, '.repeat(300);
    await post(a, long);
    await waitForMessage(b, long);

    const hello = `hello from A ${tag}`;
    await post(a, hello);
    await waitForMessage(b, hello);
    await waitForMessage(a, hello);
    assert.strictEqual(await a.inputValue('#message'), '', 'the form was not cleared');
    assert.strictEqual((await inboxTexts(b)).filter((t) => t === hello).length, 1,
                       'page B shows the message more than once');

    const markup = `<b>bold ${tag}</b> & <script>window.pwned = 1</script>`;
    await post(b, markup);
    await waitForMessage(a, markup);
    assert.strictEqual(await a.$$eval('#inbox b', (n) => n.length), 0, '<b> became markup');
    assert.strictEqual(await a.evaluate(() => window.pwned), undefined, 'a script ran');

    // A page opened now gets both from the server's cache, in order.
    const c = await openChat(browser);
    const texts = await inboxTexts(c);
    assert(texts.indexOf(hello) >= 0 && texts.indexOf(hello) < texts.indexOf(markup),
           'a new page lacks the cached messages: ' + JSON.stringify(texts.slice(-3)));
    assert.strictEqual(await c.$$eval('#inbox b', (n) => n.length), 0, 'cached <b> became markup');
    assert.deepStrictEqual(pageErrors, [], 'script errors in the chat page');
  } finally {
    await browser.close();
  }
});
