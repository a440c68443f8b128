"""A test Kubernetes API server (python3 stdlib only) speaking the real wire protocol: discovery,
CRUD with resourceVersions, patches, status subresources, watches, Table output, CRDs, plus fault
injection for tests. kube_apiserver.py is the entry point."""
