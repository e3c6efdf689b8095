#!/usr/bin/env python3
"""Checks of deploy/ that need more than a shell: run by deploy/check.sh inside its venv.

  check_deploy.py metrics DASHBOARD ALERTS CONTRACT OUT
      Parse every PromQL expression of the Grafana dashboard and of the Prometheus rule file,
      write the metric names they use (base names: no _bucket/_sum/_count) to OUT, one a line,
      and fail if one is not in CONTRACT or a matcher names a label the metric does not have.
  check_deploy.py policy RENDERED.yaml
      Structural checks of one `helm template` output: probes on the admin port, security
      context, config keys that the probes and Service depend on, grace period, ports, ingress
      annotations, the monitoring objects (CRDs, which kubernetes-validate cannot check).
  check_deploy.py alerts-sync RENDERED.yaml ALERTS [--update]
      The PrometheusRule in RENDERED must carry the same rules as the plain rule file ALERTS
      (--update rewrites ALERTS from RENDERED).
  check_deploy.py dashboard-sync CHART_COPY PLAIN [--update]
      The chart's copy of the dashboard must equal the plain file (--update copies PLAIN over).
"""

import json
import re
import shutil
import sys

import promql_parser
import yaml

try:
    import tomllib
except ModuleNotFoundError:  # Python < 3.11
    import tomli as tomllib

# Labels Prometheus adds when it scrapes a pod (kube SD / Prometheus Operator).
TARGET_LABELS = {"namespace", "pod", "job", "instance", "service", "container", "endpoint", "__name__"}
HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")
GRAFANA_VARS = {
    "$__rate_interval": "5m",
    "${__rate_interval}": "5m",
    "$__interval": "1m",
    "${__interval}": "1m",
    "$__range": "1h",
}

failures = []


def fail(msg):
    failures.append(msg)
    print(f"  FAIL {msg}")


def ok(msg):
    print(f"  ok   {msg}")


def finish():
    if failures:
        print(f"{len(failures)} problem(s)")
        sys.exit(1)


# ---------------------------------------------------------------- metrics


def load_contract(path):
    metrics = {}
    for line in open(path, encoding="utf-8"):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        m = re.fullmatch(r"([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-z_,]*)\})?", line)
        if not m:
            raise SystemExit(f"{path}: cannot read line {line!r}")
        labels = {x for x in (m.group(3) or "").split(",") if x}
        metrics[m.group(1)] = labels
    return metrics


def base_name(name, contract):
    if name in contract:
        return name
    for suffix in HISTOGRAM_SUFFIXES:
        if name.endswith(suffix) and name[: -len(suffix)] in contract:
            return name[: -len(suffix)]
    for suffix in HISTOGRAM_SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def selectors(expr_text):
    """Parse a PromQL expression; return [(metric name, {label names matched})]."""
    text = expr_text
    for var, value in GRAFANA_VARS.items():
        text = text.replace(var, value)
    ast = promql_parser.parse(text)
    found = []

    def visit(node):
        if isinstance(node, promql_parser.VectorSelector):
            labels = {m.name for m in node.matchers.matchers}
            name = node.name
            if not name:
                for m in node.matchers.matchers:
                    if m.name == "__name__":
                        name = m.value
            found.append((name, labels))
        return True

    promql_parser.walk(ast, visit)
    return found


def dashboard_queries(dash):
    """(where, expr, kind) for every query in a Grafana dashboard; kind is promql or label_values."""
    out = []

    def panels(items):
        for p in items:
            yield p
            yield from panels(p.get("panels", []))

    for p in panels(dash.get("panels", [])):
        for t in p.get("targets", []):
            if t.get("expr"):
                out.append((f"panel {p.get('title')!r} {t.get('refId')}", t["expr"], "promql"))
    for v in dash.get("templating", {}).get("list", []):
        if v.get("type") != "query":
            continue
        q = v.get("query")
        if isinstance(q, dict):
            q = q.get("query")
        q = q or v.get("definition")
        if q:
            out.append((f"variable ${v.get('name')}", q, "variable"))
    return out


def variable_expr(q):
    """label_values(EXPR, label) / query_result(EXPR) / metrics(re): the PromQL part, if any."""
    m = re.fullmatch(r"\s*label_values\((.*),\s*[a-zA-Z_][a-zA-Z0-9_]*\s*\)\s*", q, re.S)
    if m:
        return m.group(1)
    m = re.fullmatch(r"\s*query_result\((.*)\)\s*", q, re.S)
    if m:
        return m.group(1)
    m = re.fullmatch(r"\s*label_values\(\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\)\s*", q)
    if m:
        return None
    return q


def cmd_metrics(dashboard_path, alerts_path, contract_path, out_path):
    contract = load_contract(contract_path)
    dash = json.load(open(dashboard_path, encoding="utf-8"))
    queries = dashboard_queries(dash)
    rules = yaml.safe_load(open(alerts_path, encoding="utf-8"))
    for g in rules.get("groups", []):
        for r in g.get("rules", []):
            queries.append((f"rule {r.get('alert') or r.get('record')}", r["expr"], "promql"))
    used = set()
    parsed = 0
    for where, expr, kind in queries:
        text = variable_expr(expr) if kind == "variable" else expr
        if text is None:
            continue
        try:
            sels = selectors(text)
        except Exception as e:  # promql_parser raises ValueError with the parser's message
            fail(f"{where}: PromQL does not parse: {e}: {text}")
            continue
        parsed += 1
        for name, labels in sels:
            base = base_name(name, contract)
            used.add(base)
            if base not in contract:
                fail(f"{where}: metric {name} is not one mcpmux exports ({contract_path})")
                continue
            allowed = contract[base] | TARGET_LABELS | ({"le"} if name.endswith("_bucket") else set())
            extra = labels - allowed
            if extra:
                fail(f"{where}: {name} has no label(s) {sorted(extra)}")
    with open(out_path, "w", encoding="utf-8") as f:
        for name in sorted(used):
            f.write(name + "\n")
    ok(f"{parsed} PromQL expressions parse; {len(used)} metric names written to {out_path}")
    unused = sorted(set(contract) - used)
    if unused:
        print(f"  note exported but unused by dashboard and alerts: {', '.join(unused)}")
    finish()


# ---------------------------------------------------------------- policy


def docs(path):
    return [d for d in yaml.safe_load_all(open(path, encoding="utf-8")) if d]


def seconds(text):
    m = re.fullmatch(r"(\d+)s", text)
    if not m:
        raise ValueError(f"unexpected duration {text!r}")
    return int(m.group(1))


def cmd_policy(path):
    objs = docs(path)
    by_kind = {}
    for o in objs:
        by_kind.setdefault(o["kind"], []).append(o)
    deps = by_kind.get("Deployment", [])
    if len(deps) != 1:
        fail(f"expected one Deployment, found {len(deps)}")
        finish()
    dep = deps[0]
    pod = dep["spec"]["template"]["spec"]
    c = pod["containers"][0]
    ports = {p["name"]: p["containerPort"] for p in c["ports"]}
    if set(ports) != {"http", "admin"}:
        fail(f"container ports are {sorted(ports)}, want http and admin")

    # The config the gateway reads.
    cm_name = next(v["configMap"]["name"] for v in pod["volumes"] if v["name"] == "config")
    cm = next(o for o in by_kind["ConfigMap"] if o["metadata"]["name"] == cm_name)
    try:
        cfg = tomllib.loads(cm["data"]["mcpmux.toml"])
        ok("mcpmux.toml is valid TOML")
    except Exception as e:
        fail(f"mcpmux.toml does not parse as TOML: {e}")
        finish()
    if cfg.get("host") != "0.0.0.0":
        fail(f"config host is {cfg.get('host')!r}, want 0.0.0.0")
    if cfg.get("port") != ports.get("http"):
        fail(f"config port {cfg.get('port')} != container port http {ports.get('http')}")
    want_admin = f"0.0.0.0:{ports.get('admin')}"
    if cfg.get("admin", {}).get("listen") != want_admin:
        fail(f"config admin.listen is {cfg.get('admin', {}).get('listen')!r}, want {want_admin!r}")
    if not cfg.get("backends"):
        fail("config has no backends")
    grace = seconds(cfg["shutdown_grace"])
    pre_stop = c.get("lifecycle", {}).get("preStop", {}).get("sleep", {}).get("seconds", 0)
    tgps = pod["terminationGracePeriodSeconds"]
    if tgps <= grace + pre_stop:
        fail(f"terminationGracePeriodSeconds {tgps} <= shutdown_grace {grace} + preStop {pre_stop}")
    else:
        ok(f"terminationGracePeriodSeconds {tgps} > shutdown_grace {grace}s + preStop sleep {pre_stop}s")
    otel = cfg.get("otel")
    if otel is not None and otel.get("protocol") not in ("grpc", "http/protobuf"):
        fail(f"otel.protocol is {otel.get('protocol')!r}")

    # Probes: admin port, the documented endpoints.
    want = {"startupProbe": "/healthz", "livenessProbe": "/healthz", "readinessProbe": "/readyz"}
    for probe, path_ in want.items():
        p = c.get(probe)
        if p is None:
            print(f"  note {probe} disabled")
            continue
        get = p.get("httpGet", {})
        if get.get("path") != path_ or get.get("port") not in ("admin", ports.get("admin")):
            fail(f"{probe} is {get}, want GET {path_} on the admin port")
    ok("probes: startup+liveness GET /healthz, readiness GET /readyz, on the admin port")

    # Security context.
    psc, sc = pod.get("securityContext", {}), c.get("securityContext", {})
    checks = [
        (psc.get("runAsNonRoot") is True or sc.get("runAsNonRoot") is True, "runAsNonRoot"),
        ((sc.get("runAsUser") or psc.get("runAsUser") or 1) > 0, "non-zero uid"),
        (sc.get("readOnlyRootFilesystem") is True, "readOnlyRootFilesystem"),
        (sc.get("allowPrivilegeEscalation") is False, "allowPrivilegeEscalation false"),
        ("ALL" in sc.get("capabilities", {}).get("drop", []), "capabilities drop ALL"),
        (not sc.get("capabilities", {}).get("add"), "no added capabilities"),
        ((sc.get("seccompProfile") or psc.get("seccompProfile") or {}).get("type") == "RuntimeDefault",
         "seccomp RuntimeDefault"),
    ]
    for good, what in checks:
        if not good:
            fail(f"security context: {what}")
    ok("security context: non-root, read-only root fs, no privilege escalation, drop ALL, seccomp")
    if not any(m["mountPath"] == "/tmp" for m in c.get("volumeMounts", [])):
        fail("no writable /tmp mount beside the read-only root filesystem")
    for e in c.get("env", []):
        if "value" in e and re.search(r"(?i)(token|password|secret|key)$", e["name"]) and e["value"]:
            fail(f"env {e['name']} carries an inline value; reference a Secret")

    # Service.
    svc = by_kind["Service"][0]
    sports = {p["name"]: (p["port"], p["targetPort"]) for p in svc["spec"]["ports"]}
    if sports.get("http", (None, None))[1] != "http" or sports.get("admin", (None, None))[1] != "admin":
        fail(f"Service ports are {sports}")
    else:
        ok(f"Service ports: http {sports['http'][0]}, admin {sports['admin'][0]}")

    # Ingress: main port only, SSE annotations.
    for ing in by_kind.get("Ingress", []):
        ann = ing["metadata"].get("annotations", {})
        for rule in ing["spec"]["rules"]:
            for p in rule["http"]["paths"]:
                port = p["backend"]["service"]["port"]
                if port.get("name") != "http":
                    fail(f"Ingress path {p['path']} goes to {port}, want the http port")
        if ann.get("nginx.ingress.kubernetes.io/proxy-buffering") != "off":
            print("  note Ingress without proxy-buffering off (ingress.sse.enabled=false)")
        else:
            if int(ann.get("nginx.ingress.kubernetes.io/proxy-read-timeout", "0")) < 300:
                fail("Ingress proxy-read-timeout below 300 s breaks long SSE streams")
            ok("Ingress: http port only, proxy-buffering off, long read/send timeouts")
        hb = ann.get("nginx.ingress.kubernetes.io/upstream-hash-by")
        if hb:
            ok(f"Ingress: upstream-hash-by {hb}")

    # HPA / PDB target the Deployment's pods.
    for hpa in by_kind.get("HorizontalPodAutoscaler", []):
        if hpa["spec"]["scaleTargetRef"]["name"] != dep["metadata"]["name"]:
            fail("HPA does not target the Deployment")
        if hpa["spec"]["minReplicas"] > hpa["spec"]["maxReplicas"]:
            fail("HPA minReplicas > maxReplicas")
        if "replicas" in dep["spec"]:
            fail("Deployment sets replicas while the HPA owns them")
    sel = dep["spec"]["selector"]["matchLabels"]
    for pdb in by_kind.get("PodDisruptionBudget", []):
        if pdb["spec"]["selector"]["matchLabels"] != sel:
            fail("PDB selector differs from the Deployment's")
    if svc["spec"]["selector"] != sel:
        fail("Service selector differs from the Deployment's")

    # CRDs: what kubernetes-validate only warns about.
    for sm in by_kind.get("ServiceMonitor", []):
        if sm["apiVersion"] != "monitoring.coreos.com/v1":
            fail(f"ServiceMonitor apiVersion {sm['apiVersion']}")
        eps = sm["spec"]["endpoints"]
        if not any(e.get("port") == "admin" and e.get("path") == "/metrics" for e in eps):
            fail(f"ServiceMonitor endpoints {eps} do not scrape /metrics on the admin port")
        if sm["spec"]["selector"]["matchLabels"] != sel:
            fail("ServiceMonitor selector does not match the Service's labels")
        ok("ServiceMonitor scrapes admin:/metrics")
    for pr in by_kind.get("PrometheusRule", []):
        if pr["apiVersion"] != "monitoring.coreos.com/v1":
            fail(f"PrometheusRule apiVersion {pr['apiVersion']}")
        n = 0
        for g in pr["spec"]["groups"]:
            for r in g["rules"]:
                n += 1
                if not (("alert" in r) ^ ("record" in r)):
                    fail(f"rule {r} needs exactly one of alert / record")
                if "for" in r and not re.fullmatch(r"(\d+(ms|s|m|h|d|w|y))+", str(r["for"])):
                    fail(f"rule {r.get('alert')}: bad for {r['for']!r}")
                try:
                    selectors(r["expr"])
                except Exception as e:
                    fail(f"rule {r.get('alert')}: PromQL does not parse: {e}")
                for k, v in r.get("annotations", {}).items():
                    if v.count("{{") != v.count("}}"):
                        fail(f"rule {r.get('alert')}: annotation {k} has unbalanced {{{{ }}}}")
        ok(f"PrometheusRule: {n} rules, PromQL parses")
    for cmap in by_kind.get("ConfigMap", []):
        labels = cmap["metadata"].get("labels", {})
        if labels.get("grafana_dashboard") == "1":
            for key, text in cmap["data"].items():
                try:
                    d = json.loads(text)
                except ValueError as e:
                    fail(f"dashboard ConfigMap {key} is not JSON: {e}")
                    continue
                if not key.endswith(".json") or "panels" not in d:
                    fail(f"dashboard ConfigMap {key} is not a Grafana dashboard")
            ok("dashboard ConfigMap labelled grafana_dashboard=\"1\" holds dashboard JSON")
    finish()


# ---------------------------------------------------------------- sync


class LiteralDumper(yaml.SafeDumper):
    pass


def _str(dumper, data):
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


LiteralDumper.add_representer(str, _str)

ALERTS_HEADER = """\
# mcpmux alert rules, as a Prometheus rule file (rule_files: [mcpmux-alerts.yaml]).
# Generated from the Helm chart (deploy/helm/mcpmux/templates/_alerts.tpl) with default values
# and prometheusRule.scopeToRelease=false: `deploy/check.sh --update` rewrites it, and
# deploy/check.sh fails when the two differ. To change a rule, edit the template.
# Thresholds: error ratio 5% over 5m (10m), p99 latency 5s (10m), backend down 5m,
# circuit breaker open within every 2m for 5m, more than 3 stdio restarts in 15m.
"""


def cmd_alerts_sync(rendered, alerts_path, update):
    prs = [o for o in docs(rendered) if o["kind"] == "PrometheusRule"]
    if len(prs) != 1:
        fail(f"{rendered}: expected one PrometheusRule, found {len(prs)}")
        finish()
    spec = prs[0]["spec"]
    if update:
        with open(alerts_path, "w", encoding="utf-8") as f:
            f.write(ALERTS_HEADER)
            yaml.dump(spec, f, Dumper=LiteralDumper, sort_keys=False, width=1000, default_flow_style=False)
        ok(f"wrote {alerts_path}")
    current = yaml.safe_load(open(alerts_path, encoding="utf-8"))
    if current != spec:
        fail(f"{alerts_path} differs from the chart's PrometheusRule; run deploy/check.sh --update")
    else:
        ok(f"{alerts_path} matches the chart's PrometheusRule")
    finish()


def cmd_dashboard_sync(chart_copy, plain, update):
    if update:
        shutil.copyfile(plain, chart_copy)
        ok(f"copied {plain} to {chart_copy}")
    try:
        json.load(open(plain, encoding="utf-8"))
    except ValueError as e:
        fail(f"{plain} is not JSON: {e}")
    if open(chart_copy, "rb").read() != open(plain, "rb").read():
        fail(f"{chart_copy} differs from {plain}; run deploy/check.sh --update")
    else:
        ok(f"{chart_copy} matches {plain}")
    finish()


def main(argv):
    if len(argv) < 2:
        raise SystemExit(__doc__)
    cmd, args = argv[1], argv[2:]
    update = "--update" in args
    args = [a for a in args if a != "--update"]
    if cmd == "metrics" and len(args) == 4:
        cmd_metrics(*args)
    elif cmd == "policy" and len(args) == 1:
        cmd_policy(*args)
    elif cmd == "alerts-sync" and len(args) == 2:
        cmd_alerts_sync(*args, update)
    elif cmd == "dashboard-sync" and len(args) == 2:
        cmd_dashboard_sync(*args, update)
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
