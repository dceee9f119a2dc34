package statstore_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/statstore/statstore"
)

func TestValidateRunName(t *testing.T) {
	tests := []struct {
		name      string
		run       string
		wantErr   bool
		wantInMsg string
	}{
		{name: "plain", run: "mito_unet_v2"},
		{name: "DaCapo style", run: "jrc_hela-2_mito_upsample-unet_default_v2__0"},
		{name: "case differs", run: "Mito_UNet"},
		{name: "spaces and dots", run: "run 1.5 (resumed)"},
		{name: "leading dot", run: ".hidden"},
		{name: "three dots", run: "..."},
		{name: "German", run: "Mitochondrien–Lauf ä ö ü ß"},
		{name: "Japanese", run: "ミトコンドリア実験"},
		{name: "emoji", run: "run 🔬✓"},
		{name: "right-to-left", run: "تجربة"},
		{name: "exactly 200 bytes", run: strings.Repeat("a", statstore.MaxRunNameLen)},
		{name: "200 bytes of multibyte runes", run: strings.Repeat("é", statstore.MaxRunNameLen/2)},

		{name: "empty", run: "", wantErr: true, wantInMsg: "empty"},
		{name: "dot", run: ".", wantErr: true, wantInMsg: "must not be . or .."},
		{name: "dot dot", run: "..", wantErr: true, wantInMsg: "must not be . or .."},
		{name: "slash", run: "a/b", wantErr: true, wantInMsg: "path separator"},
		{name: "leading slash", run: "/etc", wantErr: true, wantInMsg: "path separator"},
		{name: "traversal", run: "../x", wantErr: true, wantInMsg: "path separator"},
		{name: "backslash", run: `a\b`, wantErr: true, wantInMsg: "path separator"},
		{name: "NUL", run: "a\x00b", wantErr: true, wantInMsg: "NUL"},
		{name: "newline", run: "a\nb", wantErr: true, wantInMsg: "control character U+000A"},
		{name: "tab", run: "a\tb", wantErr: true, wantInMsg: "control character"},
		{name: "carriage return", run: "run\r", wantErr: true, wantInMsg: "control character"},
		{name: "escape", run: "\x1b[31mred", wantErr: true, wantInMsg: "control character"},
		{name: "DEL", run: "a\x7f", wantErr: true, wantInMsg: "U+007F"},
		{name: "C1 control", run: "a\u0085b", wantErr: true, wantInMsg: "U+0085"},
		{name: "invalid UTF-8", run: "a\xffb", wantErr: true, wantInMsg: "UTF-8"},
		{name: "truncated UTF-8", run: "\xc3", wantErr: true, wantInMsg: "UTF-8"},
		{name: "201 bytes", run: strings.Repeat("a", statstore.MaxRunNameLen+1), wantErr: true, wantInMsg: "201 bytes"},
		{name: "201 bytes of multibyte runes", run: strings.Repeat("é", 100) + "a", wantErr: true, wantInMsg: "longer than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := statstore.ValidateRunName(tt.run)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ValidateRunName(%q) = %v, want error %v", tt.run, err, tt.wantErr)
			}
			if err == nil {
				return
			}
			if !errors.Is(err, statstore.ErrInvalidRunName) {
				t.Errorf("error %v does not wrap ErrInvalidRunName", err)
			}
			if !strings.Contains(err.Error(), tt.wantInMsg) {
				t.Errorf("error %q does not mention %q", err, tt.wantInMsg)
			}
		})
	}
}
