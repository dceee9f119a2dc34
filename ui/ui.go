package ui

import (
	"embed"
	"net/http"
	"strings"
)

// static holds the dashboard's files: index.html, the style sheet, the
// JavaScript modules and the vendored chart library.
//
//go:embed static
var static embed.FS

// contentSecurityPolicy allows the dashboard's own files and API only: no
// inline scripts, no other origins. Inline styles are allowed because the
// chart library positions its elements with style attributes.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'"

// Handler returns the dashboard: the embedded files at /, with index.html
// answering / itself. Directories other than / are not listed (404).
// Everything else (the API under /api/) is answered by the server that
// mounts it. Responses carry a strict Content-Security-Policy and are
// revalidated by the browser on every load, so a new binary's files are
// picked up at once.
func Handler() http.Handler {
	files := http.FileServerFS(static)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cache-Control", "no-cache")
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			h.Set("Allow", "GET, HEAD")
			http.Error(w, "the dashboard's files are read-only: use GET or HEAD", http.StatusMethodNotAllowed)
			return
		}
		p := r.URL.Path
		if !strings.HasPrefix(p, "/") || (p != "/" && strings.HasSuffix(p, "/")) {
			http.NotFound(w, r)
			return
		}
		// Serve from the embedded "static" directory.
		r2 := r.Clone(r.Context())
		r2.URL.Path = "/static" + p
		r2.URL.RawPath = ""
		files.ServeHTTP(w, r2)
	})
}
