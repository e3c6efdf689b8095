#!/usr/bin/env python3
"""Instructions the gateway executes per proxied `tools/call`, counted by callgrind.

The load benchmark's CPU-per-call figures move by up to 1.6x between runs on a small shared VM.
Instruction counts do not: the same binary gives the same count to within a fraction of a
percent, whatever else the machine is doing. They leave out the kernel's share (system calls,
TCP) and say nothing of cache misses, so they complement the load benchmark rather than replace
it; they are how a change to the call path is measured before and after.

How: the load benchmark starts each gateway under `valgrind --tool=callgrind`; it runs twice, for
2 s and 6 s at concurrency 32, and the difference between the two runs (instructions, and
requests the gateway's HTTP server parsed) cancels start-up, the catalog and the warm-up.

    cargo build --release -p mcpmux -p mcpmux-bench
    python3 benches/callgrind.py                     # this tree's target/release/mcpmux
    python3 benches/callgrind.py --mcpmux OTHER_BIN  # another build, e.g. from a git worktree

A build older than the `[admin]` section (f3824e0) refuses the generated config: pass
`--without-admin` to take those lines out of it.

Needs valgrind (Debian package `valgrind`). Takes under a minute.
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# One per request the gateway's HTTP server reads (httparse matching a request line's target):
# the unit of "per call". A target-feature function, so never inlined away, whatever the build's
# LTO settings (hyper's own request parser is, with fat LTO).
MARKER = re.compile(r"^httparse::simd::(avx2|sse42)::match_uri_vectored$")


# Work done once, whenever it happens, whose cost varies from run to run: quanta (the metrics
# clock) calibrates its counter against the wall clock for as long as that takes under
# valgrind, 8 to 15 million instructions. Left in, it moves a per-call figure by +-1,000. With
# fat LTO the calibration is inlined into the once-cell's initialiser that runs it, so that is
# counted out too (a once-cell's initialiser runs once per cell; none is made per call).
ONE_OFF = re.compile(
    r"^(quanta::Calibration::calibrate|once_cell::imp::OnceCell<T>::initialize::\{\{closure\}\})$"
)


def function_name(spec, names):
    """The name in a `fn=`/`cfn=` spec: `(id) name` defines the id, `(id)` refers to it."""
    m = re.match(r"\((\d+)\)(?: (.*))?", spec.strip())
    if not m:
        return ""
    if m.group(2):
        names[m.group(1)] = m.group(2)
    return names.get(m.group(1), "")


def totals(path):
    """({event: count less one-off work}, marker calls) of one callgrind output file."""
    names, calls, callee, fn = {}, 0, None, ""
    events, total, one_off = [], [], []
    # Whether the next cost line is a call's inclusive cost, and whether that call's callee is
    # one-off work itself (its own lines count it then; the call's line would count it twice).
    call_line, call_to_one_off = False, False
    positions = 1
    with open(path, errors="replace") as f:
        for line in f:
            first = line[:1]
            if first.isdigit() or first in "+-*":
                if ONE_OFF.search(fn) and not (call_line and call_to_one_off):
                    # Inside the function: its own lines and its calls' inclusive costs.
                    for i, cost in enumerate(line.split()[positions:]):
                        one_off[i] += int(cost)
                call_line = False
                continue
            if line.startswith("cfn="):
                callee = function_name(line[4:], names)
            elif line.startswith("fn="):
                fn = function_name(line[3:], names)
            elif line.startswith("calls="):
                call_line = True
                call_to_one_off = callee is not None and bool(ONE_OFF.search(callee))
                if callee is not None and MARKER.search(callee):
                    calls += int(line[6:].split()[0])
            elif line.startswith("positions:"):
                positions = len(line.split()) - 1
            elif line.startswith("events:"):
                events = line.split()[1:]
                one_off = [0] * len(events)
            elif line.startswith(("summary:", "totals:")):
                total = [int(v) for v in line.split()[1:]]
    return {e: t - o for e, t, o in zip(events, total, one_off)}, calls


def atomic_instructions(binary):
    """Addresses of the binary's atomic read-modify-write instructions: `lock`-prefixed ones,
    and `xchg` with a memory operand (locked without the prefix)."""
    listing = subprocess.run(["objdump", "-d", "--no-show-raw-insn", binary],
                             capture_output=True, text=True, check=True).stdout
    found = set()
    for line in listing.splitlines():
        m = re.match(r"^\s+([0-9a-f]+):\s+(.*)$", line)
        if m and (m.group(2).startswith("lock ")
                  or (m.group(2).startswith("xchg") and "(" in m.group(2))):
            found.add(int(m.group(1), 16))
    return found


def executed_at(path, binary, addresses):
    """How often the instructions at `addresses` of `binary` ran, from a callgrind file written
    with --dump-instr=yes (instruction addresses are the object's own, as objdump prints them)."""
    objects, in_binary, address, count, call_line = {}, False, 0, 0, False
    binary = os.path.realpath(binary)
    with open(path, errors="replace") as f:
        for line in f:
            first = line[:1]
            if first.isdigit() or first in "+-*":
                position = line.split(maxsplit=1)[0]
                if position.startswith("0x"):
                    address = int(position, 16)
                elif first in "+-":
                    address += int(position)
                elif position != "*":
                    address = int(position)
                # A call's line carries the callee's inclusive cost: not this instruction's.
                if in_binary and not call_line and address in addresses:
                    count += int(line.split()[2])
                call_line = False
            elif line.startswith(("ob=", "cob=")):
                m = re.match(r"c?ob=\((\d+)\)(?: (.*))?", line.strip())
                if m and m.group(2):
                    objects[m.group(1)] = m.group(2)
                if m and line.startswith("ob="):
                    in_binary = os.path.realpath(objects.get(m.group(1), "")) == binary
            elif line.startswith("calls="):
                call_line = True
    return count


def run(bench, wrapper, seconds, out_dir, gateway_env):
    """Runs the load benchmark once; returns {path: callgrind file} for the two gateways."""
    env = dict(os.environ, CALLGRIND_OUT=out_dir)
    result = subprocess.run(
        [bench, "--mcpmux", wrapper, "--paths", "http-gateway,stdio-gateway",
         "--concurrency", "32", "--duration", str(seconds), "--skip", "lists,memory,soak"]
        + [arg for pair in gateway_env for arg in ("--gateway-env", pair)],
        capture_output=True, text=True, env=env,
    )
    pids = re.search(r"gateway-http (\d+), gateway-stdio (\d+)", result.stdout + result.stderr)
    if result.returncode != 0 or not pids:
        sys.exit(f"the load benchmark failed:\n{result.stdout}\n{result.stderr}")
    http, stdio = pids.groups()
    return {
        "HTTP backend": os.path.join(out_dir, f"{http}.cg"),
        "stdio backend": os.path.join(out_dir, f"{stdio}.cg"),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mcpmux", default=os.path.join(ROOT, "target/release/mcpmux"))
    parser.add_argument("--bench", default=os.path.join(ROOT, "target/release/mcpmux-bench"))
    parser.add_argument("--gateway-env", metavar="NAME=VALUE", action="append", default=[],
                        help="set in the gateways' environment, e.g. RUST_LOG=info,mcpmux::audit=off")
    parser.add_argument("--cache-sim", action="store_true",
                        help="also simulate the caches and count instruction-cache (I1) misses")
    parser.add_argument("--branch-sim", action="store_true",
                        help="also simulate branch prediction and count mispredicted branches "
                             "(conditional, and indirect: calls through vtables and fn pointers)")
    parser.add_argument("--atomics", action="store_true",
                        help="also count atomic read-modify-write instructions (lock-prefixed, "
                             "xchg) executed in the gateway binary; needs objdump")
    parser.add_argument("--without-admin", action="store_true",
                        help="the build predates the [admin] section: remove it from the config")
    parser.add_argument("--keep", metavar="DIR",
                        help="keep the callgrind files in DIR (for callgrind_annotate)")
    args = parser.parse_args()
    mcpmux = os.path.abspath(args.mcpmux)
    if args.keep:
        os.makedirs(args.keep, exist_ok=True)
        measure(mcpmux, args.bench, os.path.abspath(args.keep), args.gateway_env, args.cache_sim,
                args.branch_sim, args.without_admin, args.atomics)
    else:
        with tempfile.TemporaryDirectory(prefix="mcpmux-callgrind-") as tmp:
            measure(mcpmux, args.bench, tmp, args.gateway_env, args.cache_sim, args.branch_sim,
                    args.without_admin, args.atomics)


def measure(mcpmux, bench, tmp, gateway_env, cache_sim, branch_sim=False, without_admin=False,
            atomics=False):
    """Runs both durations with the gateways under callgrind, files in `tmp`; prints the table."""
    wrapper = os.path.join(tmp, "mcpmux")
    # Only gateways run under callgrind; the example servers they start run as they are. The
    # benchmark starts a gateway as `BIN start --config FILE`.
    strip_admin = (
        '  grep -v -e "^\\[admin\\]" -e "^listen = " -e "^hot_reload" "$3" > "$3.without-admin.toml"\n'
        '  set -- start --config "$3.without-admin.toml"\n'
        if without_admin else ""
    )
    with open(wrapper, "w") as f:
        f.write(
            "#!/bin/sh\n"
            'if [ "$1" = start ]; then\n'
            + strip_admin
            + '  exec valgrind --tool=callgrind --callgrind-out-file="$CALLGRIND_OUT/%p.cg" '
            + ("--cache-sim=yes " if cache_sim else "")
            + ("--branch-sim=yes " if branch_sim else "")
            + ("--dump-instr=yes " if atomics else "")
            + f'"{mcpmux}" "$@"\n'
            "fi\n"
            f'exec "{mcpmux}" "$@"\n'
        )
    os.chmod(wrapper, 0o755)
    runs = []
    for seconds in (2, 6):
        out_dir = os.path.join(tmp, f"{seconds}s")
        os.makedirs(out_dir, exist_ok=True)
        runs.append(run(bench, wrapper, seconds, out_dir, gateway_env))
    print(f"mcpmux: {mcpmux}" + "".join(f" {pair}" for pair in gateway_env))
    columns = ["requests counted", "instructions per call"]
    if cache_sim:
        columns += ["I1 misses per call", "D1 misses per call"]
    if branch_sim:
        columns += ["conditional branches mispredicted per call",
                    "indirect branches mispredicted per call"]
    if atomics:
        columns += ["atomic read-modify-writes per call"]
        locked = atomic_instructions(mcpmux)
    print("| `tools/call` echo, c=32 | " + " | ".join(columns) + " |")
    print("|---|" + "---:|" * len(columns))
    for path in runs[0]:
        (short, n_short), (long, n_long) = totals(runs[0][path]), totals(runs[1][path])
        calls = n_long - n_short
        if calls <= 0:
            sys.exit(f"{path}: no more requests in the long run than in the short one")
        per = {e: (long[e] - short.get(e, 0)) / calls for e in long}
        row = f"| {path}, via mcpmux | {calls} | {per['Ir']:,.0f} |"
        if cache_sim:
            d1 = per.get("D1mr", 0) + per.get("D1mw", 0)
            row += f" {per.get('I1mr', 0):,.0f} | {d1:,.0f} |"
        if branch_sim:
            row += f" {per.get('Bcm', 0):,.0f} | {per.get('Bim', 0):,.0f} |"
        if atomics:
            n = (executed_at(runs[1][path], mcpmux, locked)
                 - executed_at(runs[0][path], mcpmux, locked))
            row += f" {n / calls:,.0f} |"
        print(row)


if __name__ == "__main__":
    main()
