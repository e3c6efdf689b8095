{{/* vim: set filetype=mustache: */}}

{{/* Chart name, truncated to the 63 characters a DNS label allows. */}}
{{- define "mcpmux.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Fully qualified app name: release-chart, unless the release name already contains the chart name. */}}
{{- define "mcpmux.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "mcpmux.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels every object carries. */}}
{{- define "mcpmux.labels" -}}
helm.sh/chart: {{ include "mcpmux.chart" . }}
{{ include "mcpmux.selectorLabels" . }}
app.kubernetes.io/version: {{ (default .Chart.AppVersion .Values.image.tag) | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: mcpmux
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Labels that select the gateway pods (immutable in a Deployment: keep them stable). */}}
{{- define "mcpmux.selectorLabels" -}}
app.kubernetes.io/name: {{ include "mcpmux.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: gateway
{{- end -}}

{{- define "mcpmux.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "mcpmux.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "mcpmux.image" -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository $tag -}}
{{- end -}}
{{- end -}}

{{/* Where the config file is mounted, and its path. */}}
{{- define "mcpmux.configDir" -}}/etc/mcpmux{{- end -}}
{{- define "mcpmux.configPath" -}}{{ include "mcpmux.configDir" . }}/mcpmux.toml{{- end -}}

{{/*
terminationGracePeriodSeconds: the explicit value, or preStop sleep + shutdown grace + 10 s.
It must exceed preStop sleep + shutdown grace, or the kubelet kills the gateway mid-drain.
*/}}
{{- define "mcpmux.terminationGracePeriodSeconds" -}}
{{- $floor := add (int .Values.lifecycle.preStopSleepSeconds) (int .Values.gateway.shutdownGraceSeconds) -}}
{{- if kindIs "invalid" .Values.terminationGracePeriodSeconds -}}
{{- add $floor 10 -}}
{{- else -}}
{{- $tg := int .Values.terminationGracePeriodSeconds -}}
{{- if le $tg $floor -}}
{{- fail (printf "terminationGracePeriodSeconds (%d) must be greater than lifecycle.preStopSleepSeconds + gateway.shutdownGraceSeconds (%d)" $tg $floor) -}}
{{- end -}}
{{- $tg -}}
{{- end -}}
{{- end -}}

{{/*
TOML rendering of the `config` value.

Helm reads every YAML number as a float64, and its own toToml prints `8080.0` and `1e+06`,
which the gateway rejects for integer keys. These helpers print whole numbers as integers
(mcpmux accepts an integer wherever it takes a float), strings as TOML basic strings (JSON
escaping is valid TOML), maps as [tables] (inline tables inside arrays), and drop nulls.
*/}}
{{- define "mcpmux.toml.key" -}}
{{- if regexMatch "^[A-Za-z0-9_-]+$" . -}}{{ . }}{{- else -}}{{ toJson . }}{{- end -}}
{{- end -}}

{{- define "mcpmux.toml.value" -}}
{{- $v := . -}}
{{- if kindIs "string" $v -}}
{{- toJson $v -}}
{{- else if kindIs "bool" $v -}}
{{- ternary "true" "false" $v -}}
{{- else if or (kindIs "float64" $v) (kindIs "float32" $v) -}}
{{- if eq (float64 (int64 $v)) (float64 $v) -}}{{ int64 $v }}{{- else -}}{{ $v }}{{- end -}}
{{- else if or (kindIs "int" $v) (kindIs "int64" $v) (kindIs "int32" $v) (kindIs "uint64" $v) -}}
{{- $v -}}
{{- else if kindIs "slice" $v -}}
[{{- range $i, $e := $v -}}{{- if $i -}}, {{ end -}}{{- include "mcpmux.toml.value" $e -}}{{- end -}}]
{{- else if kindIs "map" $v -}}
{{- $first := true -}}
{{ "{" }}{{- range $k := keys $v | sortAlpha -}}{{- $e := get $v $k -}}{{- if not (kindIs "invalid" $e) -}}{{- if not $first -}},{{- end -}}{{- $first = false }} {{ include "mcpmux.toml.key" $k }} = {{ include "mcpmux.toml.value" $e -}}{{- end -}}{{- end -}}{{- if not $first }} {{ end -}}{{ "}" }}
{{- else -}}
{{- fail (printf "config: a value of kind %s cannot be written as TOML" (kindOf $v)) -}}
{{- end -}}
{{- end -}}

{{/* A table: its scalar/array/empty-map keys first, then one [header] per non-empty sub-map. */}}
{{- define "mcpmux.toml.table" -}}
{{- $path := .path -}}
{{- $m := .map -}}
{{- range $k := keys $m | sortAlpha -}}
{{- $v := get $m $k -}}
{{- if and (not (kindIs "invalid" $v)) (or (not (kindIs "map" $v)) (eq (len $v) 0)) }}
{{ include "mcpmux.toml.key" $k }} = {{ include "mcpmux.toml.value" $v }}
{{- end -}}
{{- end -}}
{{- range $k := keys $m | sortAlpha -}}
{{- $v := get $m $k -}}
{{- if and (kindIs "map" $v) (gt (len $v) 0) -}}
{{- $sub := append $path (include "mcpmux.toml.key" $k) -}}
{{- $leaves := false -}}
{{- range $kk, $vv := $v -}}{{- if or (not (kindIs "map" $vv)) (eq (len $vv) 0) -}}{{- $leaves = true -}}{{- end -}}{{- end -}}
{{- if $leaves }}

[{{ join "." $sub }}]
{{- end -}}
{{- include "mcpmux.toml.table" (dict "path" $sub "map" $v) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
The whole config file: keys the chart owns (listeners, shutdown grace, OTLP), then `config`.
The schema forbids the chart-owned keys inside `config`.
*/}}
{{- define "mcpmux.configToml" -}}
{{- if eq (int .Values.ports.http) (int .Values.ports.admin) -}}
{{- fail "ports.http and ports.admin must differ" -}}
{{- end -}}
# Rendered by the mcpmux Helm chart from .Values.config; check it with `mcpmux validate`.
# Keys owned by the chart (probes and Service ports depend on them):
host = "0.0.0.0"
port = {{ int .Values.ports.http }}
shutdown_grace = "{{ int .Values.gateway.shutdownGraceSeconds }}s"
{{- include "mcpmux.toml.table" (dict "path" (list) "map" (omit .Values.config "backends")) }}

[admin]
listen = "0.0.0.0:{{ int .Values.ports.admin }}"
{{- if .Values.otel.endpoint }}

[otel]
endpoint = {{ toJson .Values.otel.endpoint }}
protocol = {{ toJson .Values.otel.protocol }}
{{- end }}
{{- $backends := .Values.config.backends | default (dict "example" (dict "command" "${self}" "args" (list "example-server"))) }}
{{- include "mcpmux.toml.table" (dict "path" (list) "map" (dict "backends" $backends)) }}
{{ end -}}

{{/* Extra label matchers scoping the alert rules to this release (empty when scopeToRelease is off). */}}
{{- define "mcpmux.alertSelector" -}}
{{- if .Values.prometheusRule.scopeToRelease -}}
job="{{ include "mcpmux.fullname" . }}",namespace="{{ .Release.Namespace }}"
{{- end -}}
{{- end -}}
