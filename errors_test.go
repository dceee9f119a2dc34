package statstore_test

import (
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/statstore/statstore"
)

func TestCorruptErrorFormatting(t *testing.T) {
	tests := []struct {
		name string
		err  *statstore.CorruptError
		want string
	}{
		{name: "path only, offset unknown", err: &statstore.CorruptError{Path: "training_stats/run1", Offset: -1},
			want: "corrupt data in training_stats/run1"},
		{name: "offset", err: &statstore.CorruptError{Path: "training_stats/run1", Offset: 4096},
			want: "corrupt data in training_stats/run1 at byte offset 4096"},
		{name: "offset zero", err: &statstore.CorruptError{Path: "f", Offset: 0},
			want: "corrupt data in f at byte offset 0"},
		{name: "reason", err: &statstore.CorruptError{Path: "f", Offset: 12, Reason: "checksum mismatch"},
			want: "corrupt data in f at byte offset 12: checksum mismatch"},
		{name: "cause", err: &statstore.CorruptError{Path: "f", Offset: -1, Err: io.ErrUnexpectedEOF},
			want: "corrupt data in f: unexpected EOF"},
		{name: "reason and cause", err: &statstore.CorruptError{Path: "validation_scores/r", Offset: 7, Reason: "bad record", Err: io.ErrUnexpectedEOF},
			want: "corrupt data in validation_scores/r at byte offset 7: bad record: unexpected EOF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("Error() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestCorruptErrorMatching(t *testing.T) {
	corrupt := &statstore.CorruptError{Path: "training_stats/run1", Offset: 100, Reason: "checksum mismatch", Err: io.ErrUnexpectedEOF}
	wrapped := fmt.Errorf("filestore: open run %q: %w", "run1", corrupt)
	tests := []struct {
		name   string
		err    error
		target error
		want   bool
	}{
		{name: "is ErrCorrupt", err: corrupt, target: statstore.ErrCorrupt, want: true},
		{name: "wrapped is ErrCorrupt", err: wrapped, target: statstore.ErrCorrupt, want: true},
		{name: "is its cause", err: wrapped, target: io.ErrUnexpectedEOF, want: true},
		{name: "is not another sentinel", err: wrapped, target: statstore.ErrNotFound, want: false},
		{name: "ErrCorrupt itself", err: statstore.ErrCorrupt, target: statstore.ErrCorrupt, want: true},
		{name: "without a cause", err: &statstore.CorruptError{Path: "f"}, target: statstore.ErrCorrupt, want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := errors.Is(tt.err, tt.target); got != tt.want {
				t.Errorf("errors.Is(%v, %v) = %v, want %v", tt.err, tt.target, got, tt.want)
			}
		})
	}
	t.Run("As", func(t *testing.T) {
		var ce *statstore.CorruptError
		if !errors.As(wrapped, &ce) {
			t.Fatalf("errors.As(%v) found no *CorruptError", wrapped)
		}
		if ce.Path != "training_stats/run1" || ce.Offset != 100 {
			t.Errorf("As gave path %q offset %d, want training_stats/run1 100", ce.Path, ce.Offset)
		}
		if errors.As(fmt.Errorf("x: %w", statstore.ErrCorrupt), &ce) {
			t.Errorf("errors.As found a *CorruptError in plain ErrCorrupt")
		}
	})
	t.Run("Unwrap", func(t *testing.T) {
		if got := corrupt.Unwrap(); got != io.ErrUnexpectedEOF {
			t.Errorf("Unwrap() = %v, want io.ErrUnexpectedEOF", got)
		}
		if got := (&statstore.CorruptError{}).Unwrap(); got != nil {
			t.Errorf("Unwrap() without a cause = %v, want nil", got)
		}
	})
}

func TestSentinelErrorsAreDistinct(t *testing.T) {
	sentinels := map[string]error{
		"ErrNotFound": statstore.ErrNotFound, "ErrInvalidRunName": statstore.ErrInvalidRunName,
		"ErrOutOfOrder": statstore.ErrOutOfOrder, "ErrDuplicateIteration": statstore.ErrDuplicateIteration,
		"ErrShapeMismatch": statstore.ErrShapeMismatch, "ErrMetadataMismatch": statstore.ErrMetadataMismatch,
		"ErrInvalidArgument": statstore.ErrInvalidArgument, "ErrReadOnly": statstore.ErrReadOnly,
		"ErrClosed": statstore.ErrClosed, "ErrCorrupt": statstore.ErrCorrupt,
	}
	for name, err := range sentinels {
		t.Run(name, func(t *testing.T) {
			if err == nil || err.Error() == "" {
				t.Fatalf("%s has no message", name)
			}
			for other, o := range sentinels {
				if other != name && errors.Is(err, o) {
					t.Errorf("%s matches %s", name, other)
				}
			}
		})
	}
}
