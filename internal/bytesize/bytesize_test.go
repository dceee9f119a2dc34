package bytesize

import (
	"errors"
	"fmt"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want int64
	}{
		{"0", 0}, {"100000", 100000}, {"512B", 512}, {"4GiB", 4 << 30}, {"8 GiB", 8 << 30},
		{"1.5k", 1536}, {"64MB", 64 << 20}, {"2g", 2 << 30}, {"1TiB", 1 << 40}, {" 3 mi ", 3 << 20},
	} {
		got, err := Parse(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("Parse(%q) = %d, %v; want %d, nil", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "GiB", "-1", "4 parsecs", "1e400", "9999999TiB", "1.2.3G"} {
		if got, err := Parse(bad); !errors.Is(err, ErrSyntax) {
			t.Errorf("Parse(%q) = %d, %v; want ErrSyntax", bad, got, err)
		}
	}
}

func TestFormatParsesBack(t *testing.T) {
	for _, n := range []int64{0, 1, 1023, 1024, 1536, 64 << 20, 4 << 30, 3 << 40} {
		s := Format(n)
		got, err := Parse(s)
		if err != nil || got != n {
			t.Errorf("Parse(Format(%d) = %q) = %d, %v; want %d", n, s, got, err, n)
		}
	}
}

func ExampleFormat() {
	fmt.Println(Format(512), Format(1536), Format(4<<30))
	n, _ := Parse("8GiB")
	fmt.Println(n)
	// Output:
	// 512 B 1.5 KiB 4 GiB
	// 8589934592
}
