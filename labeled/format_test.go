package labeled_test

import (
	"math"
	"testing"
)

func TestString(t *testing.T) {
	twoD := mustNew(t, []float64{0.5, 0.25, 0.75, nan},
		dim("iterations", 0, 1), dim("criteria", "voi", "loss"))
	withScalar, _ := twoD.Sel("criteria", "voi")
	withScalar, _ = withScalar.Max("iterations")
	pos, _ := twoD.ArgMin("iterations")
	lab, _ := mustNew(t, []float64{nan, nan, 1, 2}, dim("criteria", "voi", "loss"), dim("iterations", 1.5, 2.5)).IdxMax("iterations")

	tests := []struct {
		name string
		got  string
		want string
	}{
		{"1-D", mustNew(t, []float64{0.1, 0.2, 0.3}, seq("iterations", 3)).String(),
			"<labeled.Array (iterations: 3)>\n" +
				"iterations  value\n" +
				"0           0.1\n" +
				"1           0.2\n" +
				"2           0.3"},
		{"2-D with NaN and wide labels", twoD.String(),
			"<labeled.Array (iterations: 2, criteria: 2)>\n" +
				"iterations  criteria  value\n" +
				"0           voi       0.5\n" +
				"0           loss      0.25\n" +
				"1           voi       0.75\n" +
				"1           loss      NaN"},
		{"0-d with scalar coords", withScalar.String(),
			"<labeled.Array ()>\n" +
				"scalar coords: criteria=voi\n" +
				"value\n" +
				"0.75"},
		{"infinities and big numbers", mustNew(t, []float64{math.Inf(1), math.Inf(-1), 1e21}, dim("x", "a", "bb", "ccc")).String(),
			"<labeled.Array (x: 3)>\n" +
				"x    value\n" +
				"a    +Inf\n" +
				"bb   -Inf\n" +
				"ccc  1e+21"},
		{"empty", mustNew(t, nil, dim("x")).String(),
			"<labeled.Array (x: 0)>\n" +
				"x  value"},
		{"Index", pos.String(),
			"<labeled.Index (criteria: 2)>\n" +
				"criteria  position\n" +
				"voi       0\n" +
				"loss      0"},
		{"Labels with missing", lab.String(),
			"<labeled.Labels (criteria: 2)>\n" +
				"criteria  label\n" +
				"voi       <missing>\n" +
				"loss      2.5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", tt.got, tt.want)
			}
		})
	}
}
