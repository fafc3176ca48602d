// The WebSocket benchmark's peer (tools/bench/ws.sh): Node's ws with the same
// endpoints as ws_bench_server.c: /ws echoes every message, /wsz the same
// with perMessageDeflate (ws's defaults: level 6 (zlib's default), context
// takeover; its threshold set to our 64 bytes), /broadcast sends every
// message received to every open /broadcast socket. Defaults of ws
// (no compression, UTF-8 validated, TCP_NODELAY on); listen backlog 4096.
//   node tools/bench/ws_node_server.js [--port=8888]
'use strict';
const path = require('path');
const http = require('http');
const {WebSocketServer} = require(path.join(__dirname, '../../tests/node/node_modules/ws'));

const arg = process.argv.find((a) => a.startsWith('--port='));
const port = arg ? Number(arg.slice(7)) : 8888;

const echo = new WebSocketServer({noServer: true});
echo.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => ws.send(data, {binary: isBinary}));
});

const echoz = new WebSocketServer({noServer: true, perMessageDeflate: {threshold: 64}});
echoz.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => ws.send(data, {binary: isBinary}));
});

const room = new WebSocketServer({noServer: true});
room.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => {
    for (const peer of room.clients) peer.send(data, {binary: isBinary});
  });
});

const endpoints = {'/ws': echo, '/wsz': echoz, '/broadcast': room};
const server = http.createServer((req, res) => {
  res.writeHead(404);
  res.end();
});
server.on('upgrade', (req, socket, head) => {
  const wss = endpoints[new URL(req.url, 'http://x').pathname];
  if (!wss) {
    socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
    return;
  }
  wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
});
server.listen({host: '127.0.0.1', port, backlog: 4096}, () => {
  console.log(`Listening on http://127.0.0.1:${server.address().port}`);
});
process.on('SIGTERM', () => process.exit(0));
