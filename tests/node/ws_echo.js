// Node's ws client against an echo endpoint (examples/websocket's /ws):
//     node tests/node/ws_echo.js ws://127.0.0.1:PORT/ws
// Prints one line per case, "ok NAME" or "fail NAME<tab>why" (the Python test
// tests/integration/test_ws_node.py turns them into PASS/FAIL lines), and
// exits 0 when every case passed.
'use strict';
const crypto = require('crypto');
const WebSocket = require('ws');

const url = process.argv[2];
const SIZES = [0, 1, 125, 126, 65535, 65536, 1 << 20, 16 << 20];
const MAX_MESSAGE = 16 << 20;  // /ws accepts 16 MiB
let failed = 0;

function report(name, err) {
  if (err) failed++;
  console.log(err ? `fail ${name}\t${err.message || err}` : `ok ${name}`);
}

// Runs one case with a hang guard; a case throws to fail.
async function test(name, fn) {
  let timer;
  const guard = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error('timed out')), 60000);
  });
  try {
    await Promise.race([fn(), guard]);
    report(name);
  } catch (e) {
    report(name, e);
  } finally {
    clearTimeout(timer);
  }
}

function open() {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { maxPayload: 64 << 20 });  // offers permessage-deflate
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

// The next message: {data: Buffer, isBinary}.
function nextMessage(ws) {
  return new Promise((resolve, reject) => {
    const onClose = (code) => reject(new Error(`closed with ${code} before the echo`));
    ws.once('close', onClose);
    ws.once('message', (data, isBinary) => {
      ws.off('close', onClose);
      resolve({ data, isBinary });
    });
  });
}

// The close event: {code, reason (string)}.
function closed(ws) {
  return new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
}

// n bytes of UTF-8 mixing 1- to 4-byte characters, cut at a character boundary.
function textOf(n) {
  const unit = Buffer.from('aé€😀');
  const buf = Buffer.alloc(n, 'z');
  let i = 0;
  while (i + unit.length <= n) i += unit.copy(buf, i);
  return buf;
}

async function echo(ws, payload, binary) {
  const got = nextMessage(ws);
  ws.send(payload, { binary });
  const { data, isBinary } = await got;
  if (isBinary !== binary) throw new Error(`isBinary ${isBinary}`);
  if (!data.equals(payload)) throw new Error(`echo differs: ${data.length} bytes vs ${payload.length}`);
}

async function main() {
  const ws = await open();
  await test('handshake: permessage-deflate offered and declined', async () => {
    if (ws.extensions !== '') throw new Error(`extensions ${JSON.stringify(ws.extensions)}`);
    if (ws.protocol !== '') throw new Error(`protocol ${ws.protocol}`);
  });
  for (const n of SIZES) {
    await test(`text, ${n} bytes, echoed byte for byte`, () => echo(ws, textOf(n), false));
    await test(`binary, ${n} bytes, echoed byte for byte`, () => echo(ws, crypto.randomBytes(n), true));
  }
  await test('text sent in 3 fragments arrives whole', async () => {
    const got = nextMessage(ws);
    ws.send('frag', { fin: false });
    ws.send('men', { fin: false });
    ws.send('ted', { fin: true });
    const { data, isBinary } = await got;
    if (isBinary || data.toString() !== 'fragmented') throw new Error(`got ${data}`);
  });
  await test('ping answered by a pong with the same payload', async () => {
    const payload = crypto.randomBytes(125);
    const pong = new Promise((resolve) => ws.once('pong', resolve));
    ws.ping(payload);
    const got = await pong;
    if (!got.equals(payload)) throw new Error('pong payload differs');
  });
  await test('close 4001 "node bye": the server echoes 4001', async () => {
    const c = closed(ws);
    ws.close(4001, 'node bye');
    const { code } = await c;
    if (code !== 4001) throw new Error(`close code ${code}`);
  });
  await test('a message of 16 MiB + 1: close 1009 "message too big"', async () => {
    const w = await open();
    const c = closed(w);
    w.send(crypto.randomBytes(MAX_MESSAGE + 1));
    const { code, reason } = await c;
    if (code !== 1009 || reason !== 'message too big') throw new Error(`close ${code} ${JSON.stringify(reason)}`);
  });
  await test('text that is not UTF-8: close 1007 with its reason', async () => {
    const w = await open();
    const c = closed(w);
    w.send(Buffer.from([0xce, 0xba, 0xed, 0xa0, 0x80]), { binary: false });
    const { code, reason } = await c;
    if (code !== 1007 || reason !== 'text message is not valid UTF-8')
      throw new Error(`close ${code} ${JSON.stringify(reason)}`);
  });
}

main().then(
  () => process.exit(failed ? 1 : 0),
  (e) => {
    console.log(`fail connect\t${e.message}`);
    process.exit(1);
  });
