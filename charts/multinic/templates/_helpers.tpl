{{/* Object names: <release>-<chart> unless the release name already contains the chart name. */}}
{{- define "multinic.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "multinic.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "multinic.controller.fullname" -}}
{{- printf "%s-controller" (include "multinic.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "multinic.agent.fullname" -}}
{{- printf "%s-agent" (include "multinic.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "multinic.controller.serviceAccountName" -}}
{{- default (include "multinic.controller.fullname" .) .Values.controller.serviceAccount.name }}
{{- end }}

{{- define "multinic.agent.serviceAccountName" -}}
{{- default (include "multinic.agent.fullname" .) .Values.agent.serviceAccount.name }}
{{- end }}

{{/* The Lease the controller replicas elect their leader on. */}}
{{- define "multinic.controller.leaseName" -}}
{{- include "multinic.controller.fullname" . }}
{{- end }}

{{- define "multinic.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: {{ include "multinic.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: multinic
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Selector labels of one component: include with (dict "root" $ "component" "controller"). */}}
{{- define "multinic.selectorLabels" -}}
app.kubernetes.io/name: {{ include "multinic.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "multinic.componentLabels" -}}
{{ include "multinic.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* repository[:tag][@digest]; the digest wins when set. Include with an image values object and the root. */}}
{{- define "multinic.image" -}}
{{- $tag := default .root.Chart.AppVersion .image.tag -}}
{{- if .image.digest -}}
{{- printf "%s@%s" .image.repository .image.digest -}}
{{- else -}}
{{- printf "%s:%s" .image.repository $tag -}}
{{- end -}}
{{- end }}

{{- define "multinic.controller.logLevel" -}}
{{- default .Values.logLevel .Values.controller.logLevel }}
{{- end }}

{{- define "multinic.agent.logLevel" -}}
{{- default .Values.logLevel .Values.agent.logLevel }}
{{- end }}

{{/* Checks across keys that a JSON schema cannot express; each message says what to change. */}}
{{- define "multinic.validate" -}}
{{- $le := .Values.controller.leaderElection -}}
{{- if and (gt (int .Values.controller.replicas) 1) (not $le.enabled) -}}
{{- fail (printf "controller.replicas is %d but controller.leaderElection.enabled is false: two writers would fight; enable leader election or set replicas to 1" (int .Values.controller.replicas)) -}}
{{- end -}}
{{- if and $le.enabled (not (and (gt (int $le.leaseDurationSeconds) (int $le.renewDeadlineSeconds)) (gt (int $le.renewDeadlineSeconds) (int $le.retryPeriodSeconds)))) -}}
{{- fail (printf "controller.leaderElection needs leaseDurationSeconds > renewDeadlineSeconds > retryPeriodSeconds (got %d, %d, %d)" (int $le.leaseDurationSeconds) (int $le.renewDeadlineSeconds) (int $le.retryPeriodSeconds)) -}}
{{- end -}}
{{- if and .Values.controller.podDisruptionBudget.enabled (not (kindIs "string" .Values.controller.podDisruptionBudget.minAvailable)) (ge (int .Values.controller.podDisruptionBudget.minAvailable) (int .Values.controller.replicas)) (gt (int .Values.controller.replicas) 0) -}}
{{- fail (printf "controller.podDisruptionBudget.minAvailable (%d) must be less than controller.replicas (%d), or no node could ever be drained" (int .Values.controller.podDisruptionBudget.minAvailable) (int .Values.controller.replicas)) -}}
{{- end -}}
{{- range .Values.agent.extraCapabilities -}}
{{- if has . (list "SYS_ADMIN" "ALL") -}}
{{- fail (printf "agent.extraCapabilities must not contain %s: the agent needs NET_ADMIN only (and never a whole-host capability)" .) -}}
{{- end -}}
{{- end -}}
{{- if and .Values.metrics.serviceMonitor.enabled (not .Values.metrics.service.enabled) -}}
{{- fail "metrics.serviceMonitor.enabled needs metrics.service.enabled: a ServiceMonitor scrapes through the Services" -}}
{{- end -}}
{{- end }}

{{/* The agent's configuration file (JSON, keys as in packages/node-agent's AgentConfigSchema). */}}
{{- define "multinic.agent.config" -}}
{{- $a := .Values.agent -}}
{{- $discovery := dict "enabled" $a.discovery.enabled "pollMs" $a.discovery.pollMs "includeDefaultRoute" $a.discovery.includeDefaultRoute "includeDown" $a.discovery.includeDown "includeUnaddressed" $a.discovery.includeUnaddressed -}}
{{- with $a.discovery.excludeNames }}{{ $_ := set $discovery "excludeNames" . }}{{ end -}}
{{- with $a.discovery.excludeKinds }}{{ $_ := set $discovery "excludeKinds" . }}{{ end -}}
{{- $routes := dict "enabled" $a.routes.enabled "tableBase" $a.routes.tableBase "rulePriority" $a.routes.rulePriority "resyncMs" $a.routes.resyncMs "rtTablesDir" $a.routes.rtTablesDir -}}
{{- $gc := dict "enabled" $a.gc.enabled "graceMs" $a.gc.graceMs "intervalMs" $a.gc.intervalMs -}}
{{- $config := dict "socketPath" $a.socketPath "stateDir" $a.stateDir "logLevel" (include "multinic.agent.logLevel" .) "metrics" (dict "host" "0.0.0.0" "port" $a.metricsPort) "discovery" $discovery "routes" $routes "gc" $gc -}}
{{- toPrettyJson $config }}
{{- end }}

{{/*
The init container's script: copies the multinic CNI executables (and the reference plugins the node lacks) into
the node's CNI bin directory, each through a temporary name and a rename, so kubelet never runs a half-written file.
Needs only /bin/sh, cp, chmod and mv in the agent image.
*/}}
{{- define "multinic.agent.installScript" -}}
set -eu
# Directories as mounted in the init container (overridable for testing the script outside a pod).
dest=${CNI_BIN_DIR:-/host/cni/bin}
own=${MULTINIC_CNI_DIR:-/opt/multinic/cni}
reference=${REFERENCE_CNI_DIR:-/usr/lib/cni}
install_one() {
  cp "$1" "$dest/.$2.multinic-tmp"
  chmod 0755 "$dest/.$2.multinic-tmp"
  mv -f "$dest/.$2.multinic-tmp" "$dest/$2"
  echo "install-cni: installed $2 into {{ .Values.cni.binDir }}"
}
for f in "$own"/*; do
  [ -f "$f" ] || { echo "install-cni: no CNI executables in $own of the agent image" >&2; exit 1; }
  install_one "$f" "${f##*/}"
done
for name in {{ join " " .Values.agent.installCni.referencePlugins }}; do
  {{- if not .Values.agent.installCni.overwriteReferencePlugins }}
  if [ -e "$dest/$name" ]; then
    echo "install-cni: kept the node's own $name"
    continue
  fi
  {{- end }}
  [ -x "$reference/$name" ] || { echo "install-cni: reference plugin $name is not in the agent image ($reference)" >&2; exit 1; }
  install_one "$reference/$name" "$name"
done
{{- end }}
