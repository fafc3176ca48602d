// Node's ws client with perMessageDeflate against examples/websocket's
// /wsz (permessage-deflate, every default) and /wsz-lowmem:
//     node tests/node/ws_deflate.js ws://127.0.0.1:PORT
// Prints "ok NAME" or "fail NAME<tab>why" per case (test_ws_node.py turns
// them into PASS/FAIL lines) and exits 0 when every case passed.
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const WebSocket = require('ws');

const base = process.argv[2];
const SOURCE = fs.readFileSync(path.join(__dirname, '..', '..', 'src', 'websocket', 'websocket.c'));
const SIZES = [0, 1, 100, 5000, 65536, 1 << 20];
let failed = 0;

function report(name, err) {
  if (err) failed++;
  console.log(err ? `fail ${name}\t${err.message || err}` : `ok ${name}`);
}

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

function open(p, pmd) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(base + p, { maxPayload: 64 << 20, perMessageDeflate: pmd });
    ws.once('upgrade', (res) => { ws.answer = res.headers['sec-websocket-extensions']; });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

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

function closed(ws) {
  return new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
}

async function echo(ws, payload, binary) {
  const got = nextMessage(ws);
  ws.send(payload, { binary });
  const { data, isBinary } = await got;
  if (isBinary !== binary) throw new Error(`isBinary ${isBinary}`);
  if (!data.equals(payload)) throw new Error(`echo differs: ${data.length} bytes vs ${payload.length}`);
}

// Echoes text (this repository's source) and binary of every size, 3 times.
async function echoAll(p, pmd, want) {
  const ws = await open(p, pmd);
  if (ws.extensions !== 'permessage-deflate') throw new Error(`extensions ${JSON.stringify(ws.extensions)}`);
  if (ws.answer !== want) throw new Error(`answer ${ws.answer}, want ${want}`);
  for (let round = 0; round < 3; round++) {
    for (const n of SIZES) {
      await echo(ws, Buffer.concat(Array(Math.ceil(n / SOURCE.length) + 1).fill(SOURCE)).subarray(0, n), false);
      await echo(ws, crypto.randomBytes(n), true);
    }
  }
  const c = closed(ws);
  ws.close(1000);
  const { code } = await c;
  if (code !== 1000) throw new Error(`close ${code}`);
}

async function main() {
  await test('default perMessageDeflate on /wsz', () =>
    echoAll('/wsz', { threshold: 0 }, 'permessage-deflate'));
  for (let w = 9; w <= 15; w++) {
    const tail = `; server_max_window_bits=${w}` + (w < 15 ? `; client_max_window_bits=${w}` : '');
    await test(`window bits ${w} both ways`, () =>
      echoAll('/wsz', { threshold: 0, serverMaxWindowBits: w, clientMaxWindowBits: w },
        'permessage-deflate' + tail));
    await test(`window bits ${w}, no context takeover either way`, () =>
      echoAll('/wsz', { threshold: 0, serverMaxWindowBits: w, clientMaxWindowBits: w,
        serverNoContextTakeover: true, clientNoContextTakeover: true },
        'permessage-deflate; server_no_context_takeover; client_no_context_takeover' + tail));
  }
  await test('/wsz-lowmem: 10-bit windows, no context takeover', () =>
    echoAll('/wsz-lowmem', { threshold: 0 },
      'permessage-deflate; server_no_context_takeover; client_no_context_takeover; ' +
      'server_max_window_bits=10; client_max_window_bits=10'));
  await test('a compressed message inflating past 16 MiB: close 1009', async () => {
    const w = await open('/wsz', { threshold: 0 });
    const c = closed(w);
    w.send(Buffer.alloc((16 << 20) + 1));
    const { code } = await c;
    if (code !== 1009) throw new Error(`close ${code}`);
  });
}

main().then(
  () => process.exit(failed ? 1 : 0),
  (e) => {
    console.log(`fail connect\t${e.message}`);
    process.exit(1);
  });
