#!/usr/bin/env python3
"""Alternating A/B runs of the load benchmark's c=32 points: is gateway B slower than A?

One run of the load benchmark on this kind of VM can be 1.6x off the next, so a single
before/after pair says little. This runs the two gateways in turn, A B B A A B ..., each run with
its own direct HTTP backend measured in the same run, and compares them pair by pair: per pair,
B's CPU per call over A's, and each run's throughput over its own direct backend. It prints the
medians with a distribution-free 95% interval (order statistics of the pairs), so "no worse
beyond noise" is a reading, not a guess: an interval that holds 1.0 is noise.

    cargo build --release -p mcpmux -p mcpmux-bench
    python3 benches/ab.py --a OLD_BIN --b target/release/mcpmux --pairs 10 --pin

`--pin` (see the load benchmark) gives each gateway a CPU of its own and narrows the spread.
`--csv FILE` appends every pair to FILE as it is measured, so that an interrupted batch keeps
what it measured; `--pool FILE...` prints the summary of the pairs in those files (several
batches of the same two binaries) without running anything: the intervals narrow with the
pairs, and the batch-to-batch swing of this VM is in them instead of between them.
A binary older than the `[admin]` section (f3824e0) refuses the generated config: pass
`--a-without-admin` to take those lines out for A. The stdio backend is each gateway binary's
own `example-server` unless `--stdio-server BIN` starts both from one binary, which compares
the gateways alone. Each pair takes about 50 s.
"""

import argparse
import csv
import math
import os
import stat
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PATHS = {
    "http": "HTTP backend, via mcpmux",
    "stdio": "stdio backend, via mcpmux",
}
DIRECT = "HTTP backend, direct"

# A wrapper around a gateway binary: the benchmark calls `BIN start --config FILE` for the
# gateway and `BIN example-server` for its stdio backend. It can take the `[admin]` lines out of
# the config (for gateways that predate that section) and start the stdio backend from another
# binary (so that two gateways are compared in front of the same example server).
WRAPPER = """#!/bin/sh
if [ "$1" = start ] && [ "$2" = --config ] && [ "{without_admin}" = yes ]; then
    grep -v -e '^\\[admin\\]' -e '^listen = ' -e '^hot_reload' "$3" > "$3.without-admin.toml"
    exec "{bin}" start --config "$3.without-admin.toml"
fi
if [ "$1" = example-server ]; then
    exec "{server}" "$@"
fi
exec "{bin}" "$@"
"""


def run_once(bench, gateway, args):
    """{row label: (req/s, gateway CPU us/call or None)} of one c=32 run."""
    command = [
        bench, "--mcpmux", gateway,
        "--paths", "http-direct,http-gateway,stdio-gateway",
        "--concurrency", "32", "--duration", str(args.duration),
        "--skip", "lists,memory,soak",
    ] + (["--pin"] if args.pin else [])
    out = subprocess.run(command, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{out.stderr[-2000:]}")
    rows = {}
    for line in out.stdout.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 7 and cells[1] == "32":
            cpu, backend = (None if c in ("—", "-") else float(c) for c in cells[6:8])
            rows[cells[0]] = (float(cells[2]), cpu, backend)
    for label in list(PATHS.values()) + [DIRECT]:
        if label not in rows:
            sys.exit(f"no c=32 row `{label}` in the benchmark's output:\n{out.stdout[-2000:]}")
    return rows


def median_interval(values):
    """(median, low, high): the median and a distribution-free interval of at least 95%
    (below six values no such interval exists: then the range, which covers less)."""
    xs = sorted(values)
    n = len(xs)
    # The largest k with P(Binomial(n, 1/2) < k) <= 2.5%: [x_k, x_(n+1-k)] covers the median.
    k, below = 0, 0.0
    while k < n and below + math.comb(n, k) / 2**n <= 0.025:
        below += math.comb(n, k) / 2**n
        k += 1
    if k == 0:
        return statistics.median(xs), xs[0], xs[-1]
    return statistics.median(xs), xs[k - 1], xs[n - k]


def wrapper(directory, side, binary, without_admin, server):
    path = os.path.join(directory, f"{side}.sh")
    with open(path, "w") as f:
        f.write(WRAPPER.format(bin=os.path.abspath(binary),
                               without_admin="yes" if without_admin else "no",
                               server=os.path.abspath(server or binary)))
    os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR)
    return path


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--a", help="the baseline gateway binary")
    parser.add_argument("--b", default=os.path.join(ROOT, "target/release/mcpmux"))
    parser.add_argument("--bench", default=os.path.join(ROOT, "target/release/mcpmux-bench"))
    parser.add_argument("--pairs", type=int, default=10)
    parser.add_argument("--duration", type=int, default=4, help="seconds per point")
    parser.add_argument("--pin", action="store_true")
    parser.add_argument("--a-without-admin", action="store_true",
                        help="A predates the [admin] section: remove it from A's config")
    parser.add_argument("--stdio-server", metavar="BIN",
                        help="start both gateways' stdio backend as `BIN example-server` "
                             "(default: each gateway's own binary)")
    parser.add_argument("--csv", metavar="FILE", help="append each pair to FILE as it is measured")
    parser.add_argument("--pool", metavar="FILE", nargs="+",
                        help="summarise the pairs of these --csv files; run nothing")
    args = parser.parse_args()
    if not args.pool and not args.a:
        parser.error("--a is required unless --pool summarises earlier runs")
    if not args.pool and args.pairs < 6:
        print("fewer than 6 pairs: the intervals below are the range of the pairs and cover "
              "less than 95%", file=sys.stderr)

    if args.pool:
        pairs, (a_name, b_name, server, pinned, duration) = read_pairs(args.pool)
        args.pin = pinned == "yes"
        title = f"{len(pairs)} pairs of {duration} s points pooled from {', '.join(args.pool)}"
    else:
        a_name, b_name, server = args.a, args.b, args.stdio_server or ""
        pairs = measure(args, a_name, b_name, server)
        title = f"{args.pairs} alternating pairs of {args.duration} s points"
    if not pairs:
        sys.exit("no pairs to summarise")
    backend = f"\nstdio backend of both: {server} example-server" if server else ""
    print(f"A = {a_name}\nB = {b_name}{backend}\n{title} at c=32"
          f"{', pinned' if args.pin else ''}; medians, [95% interval]\n")
    first_b = sum(1 for p in pairs if p["first"] == "b")
    print(f"({len(pairs) - first_b} pairs ran A first, {first_b} B first)\n")
    summarise(pairs)


# The columns of a pair in the CSV: each run's c=32 rows, A's then B's.
SIDE_FIELDS = ["direct_rps", "http_rps", "http_cpu", "http_backend_cpu",
               "stdio_rps", "stdio_cpu", "stdio_backend_cpu"]
IDENTITY = ["a", "b", "stdio_server", "pinned", "duration"]
FIELDS = IDENTITY + ["first"] + [f"{s}_{f}" for s in "ab" for f in SIDE_FIELDS]


def flatten(rows):
    """One run's rows as the CSV's side fields."""
    return {
        "direct_rps": rows[DIRECT][0],
        "http_rps": rows[PATHS["http"]][0], "http_cpu": rows[PATHS["http"]][1],
        "http_backend_cpu": rows[PATHS["http"]][2],
        "stdio_rps": rows[PATHS["stdio"]][0], "stdio_cpu": rows[PATHS["stdio"]][1],
        "stdio_backend_cpu": rows[PATHS["stdio"]][2],
    }


def measure(args, a_name, b_name, server):
    """Run the pairs, appending each to --csv as it completes; the pairs as flat dicts."""
    pairs = []
    out = None
    if args.csv:
        fresh = not os.path.exists(args.csv) or os.path.getsize(args.csv) == 0
        out = open(args.csv, "a", newline="")
        writer = csv.DictWriter(out, fieldnames=FIELDS)
        if fresh:
            writer.writeheader()
    with tempfile.TemporaryDirectory(prefix="mcpmux-ab-") as tmp:
        a = wrapper(tmp, "a", args.a, args.a_without_admin, args.stdio_server)
        b = wrapper(tmp, "b", args.b, False, args.stdio_server)
        for n in range(args.pairs):
            pair = {"a": a_name, "b": b_name, "stdio_server": server,
                    "pinned": "yes" if args.pin else "no", "duration": args.duration}
            # Every other pair runs B first, so that a drift of the VM within a pair (it has
            # phases of minutes) does not always land on the same side.
            order = (("a", a), ("b", b)) if n % 2 == 0 else (("b", b), ("a", a))
            pair["first"] = order[0][0]
            for side, gateway in order:
                for field, value in flatten(run_once(args.bench, gateway, args)).items():
                    pair[f"{side}_{field}"] = value
            pairs.append(pair)
            if out:
                writer.writerow(pair)
                out.flush()
            print(f"pair {n + 1}/{args.pairs}", file=sys.stderr)
    if out:
        out.close()
    return pairs


def read_pairs(files):
    """The pairs of the given CSV files, and the A, B, stdio server, pinning and duration
    they all share."""
    pairs = []
    for name in files:
        with open(name, newline="") as f:
            for row in csv.DictReader(f):
                pair = {k: row[k] for k in IDENTITY}
                pair["first"] = row.get("first") or "a"
                for k in FIELDS[len(IDENTITY) + 1:]:
                    pair[k] = float(row[k])
                pairs.append(pair)
    settings = {tuple(p[k] for k in IDENTITY) for p in pairs}
    if len(settings) > 1:
        sys.exit(f"the files compare different binaries or settings, not pooling them: "
                 f"{sorted(settings)}")
    return pairs, settings.pop() if settings else ("",) * len(IDENTITY)


def summarise(pairs):
    """The table: per path, each side's medians and B over A per pair, with its interval."""
    print("| c=32 | A | B | B / A per pair |")
    print("|---|---:|---:|---:|")

    def line(label, a_of, b_of, digits):
        a = [a_of(p) for p in pairs]
        b = [b_of(p) for p in pairs]
        m, lo, hi = median_interval([y / x for x, y in zip(a, b)])
        print(f"| {label} | {statistics.median(a):.{digits}f} | {statistics.median(b):.{digits}f} | "
              f"{m:.3f} [{lo:.3f}, {hi:.3f}] |")

    for name in PATHS:
        line(f"gateway CPU per call, {name} backend (µs)",
             lambda p: p[f"a_{name}_cpu"], lambda p: p[f"b_{name}_cpu"], 1)
        line(f"throughput via mcpmux / direct HTTP, {name} backend",
             lambda p: p[f"a_{name}_rps"] / p["a_direct_rps"],
             lambda p: p[f"b_{name}_rps"] / p["b_direct_rps"], 3)
        # The backend's CPU per call moves the throughput too: the stdio backend is the tested
        # binary's own example server unless --stdio-server names one for both.
        line(f"backend CPU per call, {name} backend (µs)",
             lambda p: p[f"a_{name}_backend_cpu"], lambda p: p[f"b_{name}_backend_cpu"], 1)


if __name__ == "__main__":
    main()
