package ui

import (
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"path"
	"regexp"
	"strings"
	"testing"
)

func TestHandler(t *testing.T) {
	h := Handler()
	tests := []struct {
		name        string
		method      string
		path        string
		status      int
		contentType string // prefix
		body        string // substring
	}{
		{"index", http.MethodGet, "/", http.StatusOK, "text/html", `<script type="module" src="js/app.js">`},
		{"index by name redirects to /", http.MethodGet, "/index.html", http.StatusMovedPermanently, "", ""},
		{"head", http.MethodHead, "/", http.StatusOK, "text/html", ""},
		{"style sheet", http.MethodGet, "/app.css", http.StatusOK, "text/css", ".card"},
		{"module", http.MethodGet, "/js/app.js", http.StatusOK, "text/javascript", "hashchange"},
		{"chart library", http.MethodGet, "/vendor/uPlot.iife.min.js", http.StatusOK, "text/javascript", "uPlot"},
		{"chart library licence", http.MethodGet, "/vendor/uPlot.LICENSE", http.StatusOK, "", "MIT"},
		{"unknown file", http.MethodGet, "/nope.js", http.StatusNotFound, "", ""},
		{"no directory listing", http.MethodGet, "/js/", http.StatusNotFound, "", ""},
		{"no listing of the vendor directory", http.MethodGet, "/vendor/", http.StatusNotFound, "", ""},
		{"traversal", http.MethodGet, "/../ui.go", http.StatusNotFound, "", ""},
		{"write", http.MethodPost, "/", http.StatusMethodNotAllowed, "", "read-only"},
		{"delete", http.MethodDelete, "/app.css", http.StatusMethodNotAllowed, "", "read-only"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(tt.method, "http://dashboard"+tt.path, nil)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.status {
				t.Fatalf("%s %s: status %d, want %d (body %q)", tt.method, tt.path, rec.Code, tt.status, rec.Body.String())
			}
			if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, tt.contentType) {
				t.Errorf("Content-Type %q, want %q…", ct, tt.contentType)
			}
			if !strings.Contains(rec.Body.String(), tt.body) {
				t.Errorf("body does not contain %q", tt.body)
			}
			if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
				t.Errorf("Content-Security-Policy %q, want scripts from the dashboard only", csp)
			}
			if got := rec.Header().Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("X-Content-Type-Options %q, want nosniff", got)
			}
		})
	}
}

// The files the pages load (scripts, style sheets, module imports) must all
// be embedded: a typo would only show in a browser otherwise.
func TestEmbeddedReferencesResolve(t *testing.T) {
	refs := regexp.MustCompile(`(?:src|href)="([^"#:]+)"|from '(\.[^']+)'|import\('(\.[^']+)'\)`)
	checked := 0
	err := fs.WalkDir(static, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !(strings.HasSuffix(p, ".html") || strings.HasSuffix(p, ".js")) || strings.Contains(p, "/vendor/") {
			return err
		}
		data, err := fs.ReadFile(static, p)
		if err != nil {
			return err
		}
		for _, m := range refs.FindAllStringSubmatch(string(data), -1) {
			ref := m[1] + m[2] + m[3]
			target := path.Join(path.Dir(p), ref)
			if _, err := fs.Stat(static, target); err != nil {
				t.Errorf("%s refers to %q, which is not embedded (%s)", p, ref, target)
			}
			checked++
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walking the embedded files: %v", err)
	}
	if checked < 10 {
		t.Errorf("found %d references in the embedded pages and modules, want the index's and the modules' imports (≥ 10)", checked)
	}
}

// The vendored chart library keeps its licence and the version noted.
func TestVendoredLibrary(t *testing.T) {
	lib, err := fs.ReadFile(static, "static/vendor/uPlot.iife.min.js")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := fs.ReadFile(static, "static/vendor/README.md")
	if err != nil {
		t.Fatal(err)
	}
	version := regexp.MustCompile(`uPlot \(v([0-9.]+)\)`).FindSubmatch(lib)
	if version == nil {
		t.Fatal("uPlot.iife.min.js has no version banner")
	}
	if !strings.Contains(string(readme), "**"+string(version[1])+"**") {
		t.Errorf("vendor/README.md does not note uPlot %s, the vendored version", version[1])
	}
	f, err := static.Open("static/vendor/uPlot.LICENSE")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	lic, err := io.ReadAll(f)
	if err != nil || !strings.Contains(string(lic), "Permission is hereby granted") {
		t.Errorf("uPlot.LICENSE does not hold the MIT licence text (err %v)", err)
	}
}
