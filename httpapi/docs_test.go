package httpapi

import (
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// TestOpenAPIPaths checks that docs/openapi.yaml describes exactly the
// server's routes, with their methods.
func TestOpenAPIPaths(t *testing.T) {
	spec, err := os.ReadFile("../docs/openapi.yaml")
	if err != nil {
		t.Fatalf("reading the OpenAPI file: %v", err)
	}
	var documented []string
	path := ""
	pathLine := regexp.MustCompile(`^  (/\S*):$`)
	methodLine := regexp.MustCompile(`^    (get|post|delete|put|patch):$`)
	for _, l := range strings.Split(string(spec), "\n") {
		if m := pathLine.FindStringSubmatch(l); m != nil {
			path = m[1]
		} else if m := methodLine.FindStringSubmatch(l); m != nil && path != "" {
			documented = append(documented, strings.ToUpper(m[1])+" "+path)
		} else if !strings.HasPrefix(l, " ") {
			path = ""
		}
	}
	var served []string
	for _, r := range []string{
		"GET /api/v1/runs", "GET /metrics",
		"GET /api/v1/runs/{run}/training", "POST /api/v1/runs/{run}/training", "DELETE /api/v1/runs/{run}/training", "GET /api/v1/runs/{run}/training/buckets",
		"GET /api/v1/runs/{run}/validation", "POST /api/v1/runs/{run}/validation", "DELETE /api/v1/runs/{run}/validation",
		"GET /api/v1/runs/{run}/best", "DELETE /api/v1/runs/{run}", "GET /api/v1/runs/{run}/events",
		"GET /api/v1/runs/{run}/keep", "GET /api/v1/runs/{run}/grid", "GET /api/v1/runs/{run}/select",
		"GET /api/v1/runs/{run}/plan-validation", "GET /api/v1/runs/{run}/check", "GET /api/v1/check",
		"GET /api/v1/trash", "POST /api/v1/trash/{id}/restore", "POST /api/v1/trash/purge",
		"POST /api/v1/compare/training", "POST /api/v1/compare/training/buckets", "POST /api/v1/compare/validation",
		"GET /api/v1/events",
		"GET /api/v1/runs/{run}/config", "PUT /api/v1/runs/{run}/config", "DELETE /api/v1/runs/{run}/config",
		"GET /api/v1/runs/{run}/tags", "PATCH /api/v1/runs/{run}/tags",
		"GET /api/v1/leaderboard",
	} {
		method, p, _ := strings.Cut(r, " ")
		probe := strings.NewReplacer("{run}", "x", "{id}", "x").Replace(p)
		s := NewServer(nil, ServerOptions{})
		if _, pattern := s.mux.Handler(mustRequest(t, method, probe)); pattern != r {
			t.Errorf("%s %s is routed to %q, want %q", method, probe, pattern, r)
		}
		served = append(served, r)
	}
	sort.Strings(documented)
	sort.Strings(served)
	if strings.Join(documented, "\n") != strings.Join(served, "\n") {
		t.Errorf("openapi.yaml documents\n%s\nthe server serves\n%s", strings.Join(documented, "\n"), strings.Join(served, "\n"))
	}
}
