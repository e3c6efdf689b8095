{{/*
Selector braces for the alert expressions: the release scope (mcpmux.alertSelector) plus the
matchers passed in; nothing at all when both are empty.
*/}}
{{- define "mcpmux.sel" -}}
{{- $parts := list -}}
{{- range .matchers -}}{{- if . -}}{{- $parts = append $parts . -}}{{- end -}}{{- end -}}
{{- $scope := include "mcpmux.alertSelector" .root -}}
{{- if $scope -}}{{- $parts = append $parts $scope -}}{{- end -}}
{{- if $parts -}}{{ printf "{%s}" (join "," $parts) }}{{- end -}}
{{- end -}}

{{/*
The alert rules (Prometheus rule-file `groups:`). deploy/prometheus/mcpmux-alerts.yaml is this,
rendered with defaults and prometheusRule.scopeToRelease=false; deploy/check.sh keeps them equal.
Only metric names the gateway exports may appear (check.sh checks that too).
*/}}
{{- define "mcpmux.alertGroups" -}}
{{- $v := .Values.prometheusRule -}}
{{- $sel := include "mcpmux.sel" (dict "root" . "matchers" (list)) -}}
{{- $selErr := include "mcpmux.sel" (dict "root" . "matchers" (list "outcome!~\"ok|invalid|cancelled\"")) -}}
{{- $by := "namespace, job, backend" -}}
{{- $l := "{{" -}}
{{- $r := "}}" -}}
groups:
  - name: mcpmux
    rules:
      - alert: MCPMuxBackendDown
        expr: mcpmux_backend_up{{ $sel }} == 0
        for: {{ $v.backendDown.for }}
        labels:
          severity: {{ $v.criticalSeverity }}
          {{- with $v.alertLabels }}
          {{- toYaml . | nindent 10 }}
          {{- end }}
        annotations:
          summary: mcpmux backend {{ $l }} $labels.backend {{ $r }} is down
          description: >-
            Pod {{ $l }} $labels.pod {{ $r }} has reported backend {{ $l }} $labels.backend {{ $r }}
            down (mcpmux_backend_up == 0) for {{ $v.backendDown.for }}: its process is not running,
            its URL refuses connections, or its health pings fail. Calls routed to it fail with
            JSON-RPC -32001. Check /readyz on the admin port for its last error.
      - alert: MCPMuxCircuitOpen
        expr: max_over_time(mcpmux_circuit_state{{ $sel }}[2m]) == 2
        for: {{ $v.circuitOpen.for }}
        labels:
          severity: {{ $v.warningSeverity }}
          {{- with $v.alertLabels }}
          {{- toYaml . | nindent 10 }}
          {{- end }}
        annotations:
          summary: mcpmux circuit breaker of backend {{ $l }} $labels.backend {{ $r }} keeps opening
          description: >-
            The circuit breaker of backend {{ $l }} $labels.backend {{ $r }} on pod {{ $l }} $labels.pod {{ $r }}
            has been open (mcpmux_circuit_state == 2; 0 closed, 1 half-open) at some point in every
            2m window for {{ $v.circuitOpen.for }}. Calls to it fail fast with JSON-RPC -32004.
      - alert: MCPMuxHighErrorRatio
        expr: |-
          (
            sum by ({{ $by }}) (rate(mcpmux_requests_total{{ $selErr }}[5m]))
          /
            sum by ({{ $by }}) (rate(mcpmux_requests_total{{ $sel }}[5m]))
          ) > {{ $v.errorRatio.threshold }}
          and
          sum by ({{ $by }}) (rate(mcpmux_requests_total{{ $sel }}[5m])) > {{ $v.errorRatio.minRequestRate }}
        for: {{ $v.errorRatio.for }}
        labels:
          severity: {{ $v.criticalSeverity }}
          {{- with $v.alertLabels }}
          {{- toYaml . | nindent 10 }}
          {{- end }}
        annotations:
          summary: mcpmux requests to backend {{ $l }} $labels.backend {{ $r }} fail
          description: >-
            {{ $l }} $value | humanizePercentage {{ $r }} of the requests to backend {{ $l }} $labels.backend {{ $r }}
            failed (error, timeout, unavailable, rate_limited, circuit_open; client mistakes and
            cancellations do not count) over 5m, above {{ $v.errorRatio.threshold }}.
      - alert: MCPMuxHighLatencyP99
        expr: |-
          histogram_quantile(0.99,
            sum by ({{ $by }}, le) (rate(mcpmux_request_duration_seconds_bucket{{ $sel }}[5m]))
          ) > {{ $v.latency.p99ThresholdSeconds }}
        for: {{ $v.latency.for }}
        labels:
          severity: {{ $v.warningSeverity }}
          {{- with $v.alertLabels }}
          {{- toYaml . | nindent 10 }}
          {{- end }}
        annotations:
          summary: mcpmux p99 latency of backend {{ $l }} $labels.backend {{ $r }} is high
          description: >-
            The 99th percentile of mcpmux_request_duration_seconds for backend {{ $l }} $labels.backend {{ $r }}
            is {{ $l }} $value | humanizeDuration {{ $r }} over 5m, above {{ $v.latency.p99ThresholdSeconds }}s.
      - alert: MCPMuxStdioBackendRestarting
        expr: increase(mcpmux_stdio_restarts_total{{ $sel }}[15m]) > {{ $v.stdioRestarts.threshold }}
        labels:
          severity: {{ $v.warningSeverity }}
          {{- with $v.alertLabels }}
          {{- toYaml . | nindent 10 }}
          {{- end }}
        annotations:
          summary: mcpmux stdio backend {{ $l }} $labels.backend {{ $r }} keeps restarting
          description: >-
            The stdio backend {{ $l }} $labels.backend {{ $r }} on pod {{ $l }} $labels.pod {{ $r }} was restarted
            {{ $l }} $value | humanize {{ $r }} times in 15m (more than {{ $v.stdioRestarts.threshold }}): its process keeps exiting.
      - alert: MCPMuxLogLinesDropped
        expr: increase(mcpmux_log_lines_dropped_total{{ $sel }}[10m]) > 0
        labels:
          severity: {{ $v.warningSeverity }}
          {{- with $v.alertLabels }}
          {{- toYaml . | nindent 10 }}
          {{- end }}
        annotations:
          summary: mcpmux on pod {{ $l }} $labels.pod {{ $r }} is dropping log lines
          description: >-
            Pod {{ $l }} $labels.pod {{ $r }} dropped {{ $l }} $value | humanize {{ $r }} log lines in 10m, audit lines among
            them: its stderr took text more slowly than it wrote it and more than 4 MiB waited. Calls are
            unaffected; look at the node's log collector (the container runtime's log driver, the shipper).
      {{- with $v.additionalRules }}
      {{- toYaml . | nindent 6 }}
      {{- end }}
{{- end -}}
