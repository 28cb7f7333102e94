package printer

import (
	"fmt"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// This file gives the node agent's API the server side of `kubectl get`:
// the metav1.Table the apiserver computes (pkg/printers/internalversion),
// with the same rows the commands print, so kubectl and `pullwarden get`
// show the same columns and cells.

var objectMetaDoc = metav1.ObjectMeta{}.SwaggerDoc()

// The apiserver's column definitions per resource.
var serverColumns = map[string][]metav1.TableColumnDefinition{
	"pods": {
		{Name: "Name", Type: "string", Format: "name", Description: objectMetaDoc["name"]},
		{Name: "Ready", Type: "string", Description: "The aggregate readiness state of this pod for accepting traffic."},
		{Name: "Status", Type: "string", Description: "The aggregate status of the containers in this pod."},
		{Name: "Restarts", Type: "string", Description: "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted."},
		{Name: "Age", Type: "string", Description: objectMetaDoc["creationTimestamp"]},
		{Name: "IP", Type: "string", Priority: 1, Description: corev1.PodStatus{}.SwaggerDoc()["podIP"]},
		{Name: "Node", Type: "string", Priority: 1, Description: corev1.PodSpec{}.SwaggerDoc()["nodeName"]},
		{Name: "Nominated Node", Type: "string", Priority: 1, Description: corev1.PodStatus{}.SwaggerDoc()["nominatedNodeName"]},
		{Name: "Readiness Gates", Type: "string", Priority: 1, Description: corev1.PodSpec{}.SwaggerDoc()["readinessGates"]},
	},
	"events": {
		{Name: "Last Seen", Type: "string", Description: corev1.Event{}.SwaggerDoc()["lastTimestamp"]},
		{Name: "Type", Type: "string", Description: corev1.Event{}.SwaggerDoc()["type"]},
		{Name: "Reason", Type: "string", Description: corev1.Event{}.SwaggerDoc()["reason"]},
		{Name: "Object", Type: "string", Description: corev1.Event{}.SwaggerDoc()["involvedObject"]},
		{Name: "Subobject", Type: "string", Priority: 1, Description: corev1.ObjectReference{}.SwaggerDoc()["fieldPath"]},
		{Name: "Source", Type: "string", Priority: 1, Description: corev1.Event{}.SwaggerDoc()["source"]},
		{Name: "Message", Type: "string", Description: corev1.Event{}.SwaggerDoc()["message"]},
		{Name: "First Seen", Type: "string", Priority: 1, Description: corev1.Event{}.SwaggerDoc()["firstTimestamp"]},
		{Name: "Count", Type: "string", Priority: 1, Description: corev1.Event{}.SwaggerDoc()["count"]},
		{Name: "Name", Type: "string", Priority: 1, Format: "name", Description: objectMetaDoc["name"]},
	},
	"namespaces": {
		{Name: "Name", Type: "string", Format: "name", Description: objectMetaDoc["name"]},
		{Name: "Status", Type: "string", Description: "The status of the namespace"},
		{Name: "Age", Type: "string", Description: objectMetaDoc["creationTimestamp"]},
	},
	"secrets": {
		{Name: "Name", Type: "string", Format: "name", Description: objectMetaDoc["name"]},
		{Name: "Type", Type: "string", Description: corev1.Secret{}.SwaggerDoc()["type"]},
		{Name: "Data", Type: "string", Description: corev1.Secret{}.SwaggerDoc()["data"]},
		{Name: "Age", Type: "string", Description: objectMetaDoc["creationTimestamp"]},
	},
	"serviceaccounts": {
		{Name: "Name", Type: "string", Format: "name", Description: objectMetaDoc["name"]},
		{Name: "Age", Type: "string", Description: objectMetaDoc["creationTimestamp"]},
	},
}

// The row conditions the apiserver marks finished pods with.
var (
	podSucceededConditions = []metav1.TableRowCondition{{Type: metav1.RowCompleted, Status: metav1.ConditionTrue,
		Reason: string(corev1.PodSucceeded), Message: "The pod has completed successfully."}}
	podFailedConditions = []metav1.TableRowCondition{{Type: metav1.RowCompleted, Status: metav1.ConditionTrue,
		Reason: string(corev1.PodFailed), Message: "The pod failed."}}
)

// ServerTable returns the Table the apiserver answers for objs of resource
// ("pods" and *corev1.Pod, "events" and *corev1.Event, "secrets",
// "serviceaccounts", "namespaces"), in the given order, ages measured from
// now (zero: the wall clock). Every
// row's Object holds its object; the caller trims it to what includeObject
// asks for. noHeaders leaves the column definitions out (watch events after
// the first). It fails for any other type.
func ServerTable(resource string, objs []runtime.Object, now time.Time, noHeaders bool) (*metav1.Table, error) {
	if _, ok := serverColumns[resource]; !ok {
		return nil, fmt.Errorf("no table for %s", resource)
	}
	now = nowOr(now)
	t := &metav1.Table{TypeMeta: metav1.TypeMeta{Kind: "Table", APIVersion: "meta.k8s.io/v1"}, Rows: []metav1.TableRow{}}
	for _, obj := range objs {
		row := metav1.TableRow{Object: runtime.RawExtension{Object: obj}}
		var r string
		switch o := obj.(type) {
		case *corev1.Pod:
			r = "pods"
			for _, c := range podRow(o, now) {
				row.Cells = append(row.Cells, c)
			}
			switch o.Status.Phase {
			case corev1.PodSucceeded:
				row.Conditions = podSucceededConditions
			case corev1.PodFailed:
				row.Conditions = podFailedConditions
			}
		case *corev1.Event:
			r = "events"
			for i, c := range eventRow(o, now) {
				if i == 8 { // COUNT is an integer cell
					n, _ := strconv.ParseInt(c, 10, 64)
					row.Cells = append(row.Cells, n)
					continue
				}
				row.Cells = append(row.Cells, c)
			}
		case *corev1.Namespace:
			r = "namespaces"
			row.Cells = []any{o.Name, string(o.Status.Phase), since(o.CreationTimestamp.Time, now)}
		case *corev1.Secret:
			r = "secrets"
			row.Cells = []any{o.Name, string(o.Type), int64(len(o.Data)), since(o.CreationTimestamp.Time, now)}
		case *corev1.ServiceAccount:
			r = "serviceaccounts"
			row.Cells = []any{o.Name, since(o.CreationTimestamp.Time, now)}
		default:
			return nil, fmt.Errorf("no table for %T", obj)
		}
		if r != resource {
			return nil, fmt.Errorf("a %s row in a table of %s", r, resource)
		}
		t.Rows = append(t.Rows, row)
	}
	if !noHeaders {
		t.ColumnDefinitions = serverColumns[resource]
	}
	return t, nil
}
