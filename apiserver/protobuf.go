package apiserver

import (
	"encoding/json"
	"fmt"

	"k8s.io/apimachinery/pkg/runtime/serializer/protobuf"
	"k8s.io/client-go/kubernetes/scheme"
)

// protobufCodec decodes the Kubernetes protobuf envelope into the typed
// objects of client-go's scheme.
var protobufCodec = protobuf.NewSerializer(scheme.Scheme, scheme.Scheme)

// protobufToJSON turns a body in application/vnd.kubernetes.protobuf (what
// client-go's typed clients, and so kubectl create, send for built-in
// kinds) into JSON, so it goes through the same decoding and validation as
// a JSON body. client-go never falls back to JSON for those clients, so a
// 415 would fail the command.
func protobufToJSON(data []byte) ([]byte, error) {
	obj, gvk, err := protobufCodec.Decode(data, nil, nil)
	if err != nil {
		return nil, fmt.Errorf("decoding the protobuf body: %w", err)
	}
	obj.GetObjectKind().SetGroupVersionKind(*gvk)
	return json.Marshal(obj)
}
