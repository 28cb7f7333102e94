package apiserver

import (
	"fmt"

	jsonpatch "gopkg.in/evanphx/json-patch.v4"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/strategicpatch"

	"github.com/pullwarden/pullwarden/manifest"
)

// maxJSONPatchOperations bounds a JSON patch, as the API server does.
const maxJSONPatchOperations = 10000

// applyPatch applies a patch of type pt to the JSON document orig of kind
// k and returns the patched document. A malformed patch is a BadRequest
// (an Invalid for a JSON patch whose test fails, as the API server words
// it: "the server rejected our request due to an error in our request").
func applyPatch(pt types.PatchType, orig, patch []byte, k manifest.Kind) ([]byte, error) {
	switch pt {
	case types.JSONPatchType:
		p, err := jsonpatch.DecodePatch(patch)
		if err != nil {
			return nil, apierrors.NewBadRequest(err.Error())
		}
		if len(p) > maxJSONPatchOperations {
			return nil, apierrors.NewRequestEntityTooLargeError(
				fmt.Sprintf("The allowed maximum operations in a JSON patch is %d, got %d", maxJSONPatchOperations, len(p)))
		}
		out, err := applyJSONPatch(p, orig)
		if err != nil {
			return nil, apierrors.NewGenericServerResponse(422, "", k.GroupResource(), "", err.Error(), 0, false)
		}
		return out, nil
	case types.MergePatchType:
		out, err := jsonpatch.MergePatch(orig, patch)
		if err != nil {
			return nil, apierrors.NewBadRequest(err.Error())
		}
		return out, nil
	case types.StrategicMergePatchType:
		out, err := strategicpatch.StrategicMergePatch(orig, patch, k.New())
		if err != nil {
			return nil, apierrors.NewBadRequest(err.Error())
		}
		return out, nil
	}
	return nil, unsupportedMediaType(acceptedPatchTypes)
}

// applyJSONPatch applies p to doc. The JSON patch library panics on some
// operations without a value (a replace of "" with no "value"); such a
// patch is answered like any other that cannot be applied.
func applyJSONPatch(p jsonpatch.Patch, doc []byte) (out []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("the JSON patch cannot be applied: %v", r)
		}
	}()
	return p.Apply(doc)
}
