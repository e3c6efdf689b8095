#!/usr/bin/env python3
"""Checks tool_queries.json against tool_corpus.json: every expected tool exists, and how many
queries reuse the words of their expected tool's name (the brief allows at most a third).

With the output of `cargo run --release --example measure -- --ranks` on stdin (pass `-`), also
splits top-1/top-5 between queries that reuse all name words and those that do not."""
import json
import re
import sys

tools = {t["name"] for t in json.load(open("tool_corpus.json"))}
queries = json.load(open("tool_queries.json"))


def words(s):
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", s)
    return [w.lower() for w in re.split(r"[^A-Za-z0-9]+", s) if w]


def stem(w):
    for suf in ("ies", "es", "s"):
        if w.endswith(suf) and len(w) > len(suf) + 2:
            return w[: -len(suf)] + ("y" if suf == "ies" else "")
    return w


# A tool-name prefix that repeats the backend (slack_post_message, notion-search) is not a "main word".
PREFIXES = {"slack", "puppeteer", "asana", "maps", "brave", "git", "notion", "hubspot", "qdrant", "tavily", "browser", "mysql", "atlas", "kubectl"}
all_reuse = half_reuse = 0
reuse_flags = []
for q in queries:
    assert q["expected"] in tools, q
    alias, _, tool = q["expected"].partition("__")
    main = [stem(w) for w in words(tool) if w not in PREFIXES and w != alias and not w.endswith("exa")]
    qw = {stem(w) for w in words(q["query"])}
    hit = sum(1 for w in main if w in qw)
    reuse_flags.append(bool(main) and hit == len(main))
    if main and hit == len(main):
        all_reuse += 1
    if main and hit * 2 >= len(main):
        half_reuse += 1
n = len(queries)
print(f"{n} queries; all name words reused: {all_reuse} ({all_reuse / n:.0%}); at least half reused: {half_reuse} ({half_reuse / n:.0%})")

if len(sys.argv) > 1 and sys.argv[1] == "-":
    ranks = {}
    for line in sys.stdin:
        if line.startswith("rank\t"):
            _, i, r = line.split("\t")
            ranks[int(i)] = int(r)
    for label, want in (("reusing all name words", True), ("not reusing them", False)):
        idx = [i for i, f in enumerate(reuse_flags) if f == want]
        t1 = sum(1 for i in idx if ranks[i] == 1) / len(idx)
        t5 = sum(1 for i in idx if 1 <= ranks[i] <= 5) / len(idx)
        print(f"{label:24} {len(idx):3} queries: top1 {t1:.1%}  top5 {t5:.1%}")
