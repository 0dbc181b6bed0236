// A mocha reporter that prints like `spec` and also writes the counts as JSON, so scripts/test-all.mjs can add
// the unit tests to its total without parsing text (mocha takes one reporter per run).
// usage: mocha --reporter ./scripts/mochaSpecJsonReporter.cjs --reporter-option output=path/to/results.json
'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- mocha loads reporters with require(), so this stays CommonJS */
const fs = require('node:fs');
const path = require('node:path');
const mocha = require('mocha');

const { Spec } = mocha.reporters;
const { EVENT_TEST_PASS, EVENT_TEST_FAIL, EVENT_TEST_PENDING, EVENT_RUN_END } = mocha.Runner.constants;

class SpecJsonReporter extends Spec {
  constructor(runner, options = {}) {
    super(runner, options);
    const output = (options.reporterOption && options.reporterOption.output) || process.env.MOCHA_JSON_OUTPUT;
    const tests = [];
    runner.on(EVENT_TEST_PASS, (t) => tests.push({ title: t.fullTitle(), file: t.file, state: 'passed', ms: t.duration }));
    runner.on(EVENT_TEST_PENDING, (t) => tests.push({ title: t.fullTitle(), file: t.file, state: 'pending' }));
    runner.on(EVENT_TEST_FAIL, (t, err) =>
      tests.push({ title: t.fullTitle(), file: t.file, state: 'failed', error: String((err && err.stack) || err) }));
    runner.once(EVENT_RUN_END, () => {
      if (!output) return;
      const count = (state) => tests.filter((t) => t.state === state).length;
      // failures counts hook failures too ("before all" hook), which have no test of their own
      const failed = Math.max(count('failed'), (this.stats && this.stats.failures) || 0);
      fs.mkdirSync(path.dirname(output), { recursive: true });
      fs.writeFileSync(output, JSON.stringify({ passed: count('passed'), failed, pending: count('pending'), tests }, null, 2));
    });
  }
}

module.exports = SpecJsonReporter;
