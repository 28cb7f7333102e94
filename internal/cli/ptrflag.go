package cli

import (
	"strconv"
)

// boolPtr is a bool flag that leaves *p nil until it is given, for options
// whose default lives in the library (def is only shown in help).
type boolPtr struct {
	p   **bool
	def bool
}

func (b *boolPtr) String() string {
	if b.p == nil || *b.p == nil {
		return strconv.FormatBool(b.def)
	}
	return strconv.FormatBool(**b.p)
}

func (b *boolPtr) Set(s string) error {
	v, err := strconv.ParseBool(s)
	if err != nil {
		return err
	}
	*b.p = &v
	return nil
}

func (b *boolPtr) Type() string { return "bool" }

// int32Ptr is an int32 flag that leaves *p nil until it is given.
type int32Ptr struct{ p **int32 }

func (i *int32Ptr) String() string {
	if i.p == nil || *i.p == nil {
		return ""
	}
	return strconv.FormatInt(int64(**i.p), 10)
}

func (i *int32Ptr) Set(s string) error {
	v, err := strconv.ParseInt(s, 10, 32)
	if err != nil {
		return err
	}
	n := int32(v)
	*i.p = &n
	return nil
}

func (i *int32Ptr) Type() string { return "int32" }
