package apiserver

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/pullwarden/pullwarden/objects"
)

// deleteOptions reads the grace period a DELETE asks for, from the
// gracePeriodSeconds query parameter or a DeleteOptions body (JSON or the
// protobuf envelope), as the API server does. The body wins.
func deleteOptions(r *http.Request) ([]objects.DeleteOption, error) {
	var grace *int64
	if v := r.URL.Query().Get("gracePeriodSeconds"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, apierrors.NewBadRequest(fmt.Sprintf("gracePeriodSeconds: %q is not an integer", v))
		}
		grace = &n
	}
	data, err := readBody(r)
	if err != nil {
		return nil, err
	}
	if len(data) > 0 {
		if mediaType(r) == contentTypeKubeProtobuf {
			if data, err = protobufToJSON(data); err != nil {
				return nil, apierrors.NewBadRequest("DeleteOptions: " + err.Error())
			}
		}
		var o metav1.DeleteOptions
		if err := json.Unmarshal(data, &o); err != nil {
			return nil, apierrors.NewBadRequest("the body is not a DeleteOptions: " + err.Error())
		}
		if o.GracePeriodSeconds != nil {
			grace = o.GracePeriodSeconds
		}
	}
	if grace == nil {
		return nil, nil
	}
	if *grace < 0 {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("gracePeriodSeconds: %d must not be negative", *grace))
	}
	return []objects.DeleteOption{objects.WithGracePeriod(*grace)}, nil
}
