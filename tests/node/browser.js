// Headless Debian chromium through playwright-core, for tests that drive a
// page served by an example (chat_browser.js, ...).
//
//     const {launch} = require('./browser');
//     const browser = await launch();
//     const page = await browser.newPage();
//     ...
//     await browser.close();
'use strict';
const {chromium} = require('playwright-core');

const EXECUTABLE = process.env.CHROMIUM || '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
              '--disable-background-networking'];

// Launches chromium; the promise resolves to a playwright Browser.
function launch(options = {}) {
  return chromium.launch({executablePath: EXECUTABLE, args: ARGS, ...options});
}

// Runs main(), printing its error and exiting 1 on failure, 0 on success:
// the Python tests turn the exit status into PASS/FAIL. A hang guard stops
// a test that never finishes.
function run(main, hangSeconds = 60) {
  const guard = setTimeout(() => {
    console.error(`hang guard: no result after ${hangSeconds} s`);
    process.exit(1);
  }, hangSeconds * 1000);
  main().then(() => { clearTimeout(guard); process.exit(0); },
              (err) => { console.error(err && err.stack || err); process.exit(1); });
}

module.exports = {launch, run};
