package controller

import rbacv1 "k8s.io/api/rbac/v1"

// ClusterRules are the permissions the controller needs on the pods'
// namespaces (a ClusterRole; with Options.Namespace a Role there would
// do, but for namespaces). The tests run the controller as a service
// account bound to exactly these and LeaderRules; deploy/ must match.
func ClusterRules() []rbacv1.PolicyRule {
	return []rbacv1.PolicyRule{
		// Watch pods; write pull-request, pin images (patch); recreate
		// opted-in owned pods (delete).
		{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"get", "list", "watch", "patch", "delete"}},
		// The pullwarden.io/ImagePull condition.
		{APIGroups: []string{""}, Resources: []string{"pods/status"}, Verbs: []string{"patch"}},
		// Pull secrets: watched as metadata, read to build the keyring.
		{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get", "list", "watch"}},
		{APIGroups: []string{""}, Resources: []string{"serviceaccounts"}, Verbs: []string{"get", "list", "watch"}},
		// Its events; the kubelet's pull failures (list).
		{APIGroups: []string{""}, Resources: []string{"events"}, Verbs: []string{"create", "patch", "list"}},
		// recreate-on-fix on the namespace.
		{APIGroups: []string{""}, Resources: []string{"namespaces"}, Verbs: []string{"get"}},
	}
}

// LeaderRules are the permissions of leader election, in the Lease's
// namespace (a Role): the Lease and the events controller-runtime
// records about it.
func LeaderRules() []rbacv1.PolicyRule {
	return []rbacv1.PolicyRule{
		{APIGroups: []string{"coordination.k8s.io"}, Resources: []string{"leases"}, Verbs: []string{"get", "list", "watch", "create", "update", "patch"}},
		{APIGroups: []string{"", "events.k8s.io"}, Resources: []string{"events"}, Verbs: []string{"create", "patch"}},
	}
}
