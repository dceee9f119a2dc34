package dacapo

import (
	"encoding/binary"
	"fmt"
	"math"
	"strings"

	pickle "github.com/kisielk/og-rek"
)

// numpyFloat64 decodes a numpy.float64 scalar as numpy pickles it:
//
//	numpy.core.multiarray.scalar(dtype, b"<8 little-endian bytes>")
//
// (numpy._core.multiarray with numpy 2), where dtype is
// numpy.dtype("f8", False, True) with state (3, "<", None, None, None, -1,
// -1, 0). The scanner turned the dtype's BUILD into the tuple (dtype call,
// state). Any other shape is an error saying what was found.
func numpyFloat64(c pickle.Call) (float64, error) {
	name := c.Callable.Module + "." + c.Callable.Name
	if name != globalScalarNumpy1 && name != globalScalarNumpy2 {
		return 0, fmt.Errorf("has type call of %s, want float (or a numpy.float64 scalar)", name)
	}
	if len(c.Args) != 2 {
		return 0, fmt.Errorf("%s with %d arguments, want (dtype, bytes)", name, len(c.Args))
	}
	if err := checkFloat64Dtype(c.Args[0]); err != nil {
		return 0, fmt.Errorf("%s: %w", name, err)
	}
	b, ok := c.Args[1].(pickle.Bytes)
	if !ok || len(b) != 8 {
		return 0, fmt.Errorf("%s data is a %s of %d bytes, want 8 bytes", name, pyType(c.Args[1]), len(b))
	}
	return math.Float64frombits(binary.LittleEndian.Uint64([]byte(b))), nil
}

// checkFloat64Dtype accepts only the built dtype('f8') of little-endian
// float64.
func checkFloat64Dtype(v any) error {
	built, ok := v.(pickle.Tuple)
	if !ok || len(built) != 2 {
		return fmt.Errorf("dtype is a %s, want numpy.dtype('f8') with its state", pyType(v))
	}
	call, ok := built[0].(pickle.Call)
	if !ok || call.Callable != (pickle.Class{Module: "numpy", Name: "dtype"}) {
		return fmt.Errorf("dtype is a %s, want numpy.dtype", pyType(built[0]))
	}
	if len(call.Args) != 3 || call.Args[0] != "f8" || call.Args[1] != false || call.Args[2] != true {
		return fmt.Errorf("numpy.dtype%s, want numpy.dtype('f8', False, True) (float64)", pyRepr(call.Args))
	}
	state, ok := built[1].(pickle.Tuple)
	want := pickle.Tuple{int64(3), "<", pickle.None{}, pickle.None{}, pickle.None{}, int64(-1), int64(-1), int64(0)}
	if !ok || len(state) != len(want) {
		return fmt.Errorf("numpy.dtype state is a %s, want %s", pyType(built[1]), pyRepr(want))
	}
	for i := range want {
		if state[i] != want[i] {
			return fmt.Errorf("numpy.dtype state %s, want %s (little-endian float64)", pyRepr(state), pyRepr(want))
		}
	}
	return nil
}

// pyRepr formats a tuple of scalars roughly as Python's repr does.
func pyRepr(t pickle.Tuple) string {
	s := "("
	for i, v := range t {
		if i > 0 {
			s += ", "
		}
		switch x := v.(type) {
		case string:
			s += fmt.Sprintf("'%s'", x)
		case bool:
			s += strings.ToUpper(fmt.Sprint(x)[:1]) + fmt.Sprint(x)[1:]
		case pickle.None:
			s += "None"
		case int64, float64:
			s += fmt.Sprint(x)
		default:
			s += pyType(v)
		}
	}
	return s + ")"
}
