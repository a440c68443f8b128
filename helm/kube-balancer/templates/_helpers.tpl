{{/*
Names and labels shared by every template.
*/}}

{{/* The chart name, or nameOverride. */}}
{{- define "kube-balancer.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The resource name prefix: fullnameOverride, else <release>-<name>, or the release name alone when it
already contains the chart name. Truncated to 63 characters (the DNS label limit).
*/}}
{{- define "kube-balancer.fullname" -}}
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

{{/* chart-version, for the helm.sh/chart label. */}}
{{- define "kube-balancer.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The standard app.kubernetes.io labels of every object. */}}
{{- define "kube-balancer.labels" -}}
helm.sh/chart: {{ include "kube-balancer.chart" . }}
{{ include "kube-balancer.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: kube-balancer
{{- end }}

{{/* The labels that select the pods (immutable in a Deployment: never add to them). */}}
{{- define "kube-balancer.selectorLabels" -}}
app.kubernetes.io/name: {{ include "kube-balancer.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: ingress-controller
{{- end }}

{{/* The ServiceAccount the pods run as. */}}
{{- define "kube-balancer.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "kube-balancer.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* repository:tag, the tag defaulting to the chart's appVersion. */}}
{{- define "kube-balancer.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/* Where the controller writes the table and the proxy reads it (the shared emptyDir). */}}
{{- define "kube-balancer.tableDir" -}}
/var/run/kube-balancer
{{- end }}

{{/* Certificates and keys of spec.tls Secrets: an in-memory emptyDir of the pod (tls.enabled). */}}
{{- define "kube-balancer.tlsDir" -}}
/var/run/kube-balancer-tls
{{- end }}

{{/*
The namespaced permissions of the controller: read what it renders, write the statuses it owns,
record Events. Exactly the calls the controller makes (tests/integration/packaging checks this
against the controller's source), in a ClusterRole or in one Role per watched namespace.
*/}}
{{- define "kube-balancer.namespacedRules" -}}
- apiGroups: [""]
  resources: ["services"]
  verbs: ["list", "watch"]
- apiGroups: ["discovery.k8s.io"]
  resources: ["endpointslices"]
  verbs: ["list", "watch"]
- apiGroups: ["networking.k8s.io"]
  resources: ["ingresses"]
  verbs: ["list", "watch"]
- apiGroups: ["networking.k8s.io"]
  resources: ["ingresses/status"]
  verbs: ["patch"]
- apiGroups: ["kubebalancer.io"]
  resources: ["balancerclusters"]
  verbs: ["list", "watch", "patch"]
- apiGroups: ["kubebalancer.io"]
  resources: ["balancerclusters/status"]
  verbs: ["patch"]
- apiGroups: [""]
  resources: ["events"]
  verbs: ["create"]
{{- if .Values.tls.enabled }}
# TLS: the kubernetes.io/tls Secrets that Ingress spec.tls names hold the certificates the proxies
# serve. Only list/watch (the controller never reads a Secret by name; it asks for type
# kubernetes.io/tls only and keeps just the named ones in memory). docs/tls.md, "Kubernetes".
- apiGroups: [""]
  resources: ["secrets"]
  verbs: ["list", "watch"]
{{- end }}
{{- if .Values.gatewayAPI.enabled }}
# Gateway API: read the routes and Gateways, write their status (docs/gateway-api.md).
- apiGroups: ["gateway.networking.k8s.io"]
  resources: ["gateways", "httproutes", "referencegrants"]
  verbs: ["list", "watch"]
- apiGroups: ["gateway.networking.k8s.io"]
  resources: ["gateways/status", "httproutes/status"]
  verbs: ["patch"]
{{- end }}
{{- end }}

{{/* Cluster-scoped permissions: IngressClasses tell the controller which Ingresses are its own. */}}
{{- define "kube-balancer.clusterRules" -}}
- apiGroups: ["networking.k8s.io"]
  resources: ["ingressclasses"]
  verbs: ["list", "watch"]
{{- if .Values.gatewayAPI.enabled }}
# GatewayClasses are cluster-scoped, like IngressClasses.
- apiGroups: ["gateway.networking.k8s.io"]
  resources: ["gatewayclasses"]
  verbs: ["list", "watch"]
- apiGroups: ["gateway.networking.k8s.io"]
  resources: ["gatewayclasses/status"]
  verbs: ["patch"]
{{- end }}
{{- end }}

{{/*
Leader election: one Lease in the release namespace. Creating cannot be limited to a name (the
name is in the body); reading and renewing are limited to this release's Lease.
*/}}
{{- define "kube-balancer.leaseRules" -}}
- apiGroups: ["coordination.k8s.io"]
  resources: ["leases"]
  verbs: ["create"]
- apiGroups: ["coordination.k8s.io"]
  resources: ["leases"]
  resourceNames: [{{ include "kube-balancer.leaseName" . | quote }}]
  verbs: ["get", "update"]
{{- end }}

{{/*
The Service whose address goes into Ingress status (--publish-service): this release's own Service
unless controller.publishService.pathOverride names another; "" when disabled.
*/}}
{{- define "kube-balancer.publishService" -}}
{{- if .Values.controller.publishService.enabled }}
{{- default (printf "%s/%s" .Release.Namespace (include "kube-balancer.fullname" .)) .Values.controller.publishService.pathOverride }}
{{- end }}
{{- end }}

{{/* The Lease the replicas of this release elect their leader with. */}}
{{- define "kube-balancer.leaseName" -}}
{{- default (include "kube-balancer.fullname" .) .Values.controller.leaderElection.leaseName }}
{{- end }}


{{/* The controller container, without its name: a native sidecar or a regular container. */}}

{{- define "kube-balancer.controllerContainer" -}}
{{- $table := printf "%s/table.yaml" (include "kube-balancer.tableDir" .) }}
{{- $tableDir := include "kube-balancer.tableDir" . -}}
image: {{ include "kube-balancer.image" . }}
imagePullPolicy: {{ .Values.image.pullPolicy }}
command: ["kube-balancer-controller"]
args:
  - --table-out={{ $table }}
  - --proxy-admin=http://127.0.0.1:{{ .Values.proxy.adminPort }}
  - --ingress-class={{ .Values.ingressClass.name }}
  {{- with .Values.ingressClass.alsoServe }}
  - --also-serve-ingress-class={{ . }}
  {{- end }}
  {{- with .Values.controller.publishAddress }}
  - --publish-address={{ . }}
  {{- end }}
  {{- with include "kube-balancer.publishService" . }}
  - --publish-service={{ . }}
  {{- end }}
  {{- with .Values.controller.watchNamespaces }}
  - --namespaces={{ join "," . }}
  {{- end }}
  {{- if .Values.controller.leaderElection.enabled }}
  - --leader-elect=true
  - --lease-namespace=$(POD_NAMESPACE)
  - --lease-name={{ include "kube-balancer.leaseName" . }}
  - --identity=$(POD_NAME)
  {{- else }}
  - --leader-elect=false
  {{- end }}
  {{- with .Values.controller.metricsPort }}
  - --metrics-listen=0.0.0.0:{{ . }}
  {{- end }}
  {{- if .Values.tls.enabled }}
  - --tls-dir={{ include "kube-balancer.tlsDir" . }}
  {{- end }}
  {{- if .Values.gatewayAPI.enabled }}
  - --gateway-api=true
  {{- end }}
  {{- with .Values.controller.extraArgs }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- with .Values.controller.metricsPort }}
ports:
  - name: ctl-metrics
    containerPort: {{ . }}
    protocol: TCP
{{- end }}
env:
  - name: POD_NAME
    valueFrom:
      fieldRef:
        fieldPath: metadata.name
  - name: POD_NAMESPACE
    valueFrom:
      fieldRef:
        fieldPath: metadata.namespace
  {{- with .Values.controller.extraEnv }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
securityContext:
  {{- toYaml .Values.containerSecurityContext | nindent 2 }}
resources:
  {{- toYaml .Values.controller.resources | nindent 2 }}
volumeMounts:
  - name: table
    mountPath: {{ $tableDir }}
  {{- if .Values.tls.enabled }}
  - name: tls
    mountPath: {{ include "kube-balancer.tlsDir" . }}
  {{- end }}
{{- end }}
