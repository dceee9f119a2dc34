package jsonnan_test

import (
	"fmt"

	"github.com/statstore/statstore/internal/jsonnan"
)

// Python's json module writes bare NaN and Infinity, which are not JSON;
// Unmarshal reads them as the floats they stand for, and AppendFloat
// writes non-finite values as strings a JSON parser accepts.
func ExampleUnmarshal() {
	var v struct {
		Loss []jsonnan.Float `json:"loss"`
	}
	if err := jsonnan.Unmarshal([]byte(`{"loss": [0.5, NaN, -Infinity]}`), &v); err != nil {
		panic(err)
	}
	fmt.Println(v.Loss)
	fmt.Println(string(jsonnan.AppendFloat(nil, float64(v.Loss[1]))))
	// Output:
	// [0.5 NaN -Inf]
	// "NaN"
}
