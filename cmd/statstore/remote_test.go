package main

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/statstore/statstore/httpapi"
)

// remoteServer serves a demo store over HTTP on 127.0.0.1, with a token
// for writes, and returns its URL and the token file.
func remoteServer(t *testing.T) (url, tokenFile string) {
	t.Helper()
	dir := demoStore(t)
	s := openFileStore(t, dir)
	srv := httptest.NewServer(httpapi.NewServer(s, httpapi.ServerOptions{Token: "sesame", AllowedHosts: []string{"127.0.0.1"}}))
	t.Cleanup(srv.Close)
	tokenFile = filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte("sesame\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return srv.URL, tokenFile
}

func TestRemoteStore(t *testing.T) {
	url, tokenFile := remoteServer(t)
	// Reads need no token.
	for _, args := range [][]string{
		{"runs"}, {"show", "demo_unet"}, {"best", "demo_unet"}, {"compare", "demo_unet", "demo_unet_small"},
		{"keep", "demo_unet"}, {"grid", "demo_unet", "--dataset", "crop_a", "--criterion", "f1_score"},
		{"check", "demo_unet", "--window", "50", "--factor", "100"}, {"export", "demo_unet"},
	} {
		r := run(t, append([]string{"--store", url}, args...)...)
		if r.code != 0 && !(args[0] == "check" && r.code == exitError) {
			t.Errorf("%v over HTTP: exit %d\n%s", args, r.code, r.stderr)
		}
		if r.stdout == "" {
			t.Errorf("%v over HTTP printed nothing", args)
		}
	}
	if r := run(t, "--store", url, "show", "demo_unte"); r.code == 0 || !strings.Contains(r.stderr, `did you mean "demo_unet"`) {
		t.Errorf("mistyped run over HTTP: exit %d %s", r.code, r.stderr)
	}
	// Writes need the token: refused without it, taken with --token-file or $STATSTORE_TOKEN.
	docs := trainingDocs(iterations(0, 1, 2)...)
	if r := runIn(t, docs, "--store", url, "put", "training", "remote_run"); r.code == 0 || !strings.Contains(strings.ToLower(r.stderr), "token") {
		t.Errorf("write without a token: exit %d %s", r.code, r.stderr)
	}
	mustRunIn(t, docs, "--store", url, "--token-file", tokenFile, "put", "training", "remote_run")
	r := invoke(t, invocation{args: []string{"--store", url, "put", "training", "env_run"}, stdin: docs, env: map[string]string{"STATSTORE_TOKEN": "sesame"}})
	if r.code != 0 {
		t.Errorf("write with $STATSTORE_TOKEN: exit %d %s", r.code, r.stderr)
	}
	if out := mustRun(t, "--store", url, "runs").stdout; !strings.Contains(out, "remote_run") || !strings.Contains(out, "env_run") {
		t.Errorf("runs after remote writes:\n%s", out)
	}
	// copy from the server to a directory.
	dst := filepath.Join(t.TempDir(), "copy")
	mustRun(t, "copy", "--from", url, "--to", dst, "--run", "demo_unet")
	if out := mustRun(t, "--store", dst, "best", "demo_unet").stdout; !strings.Contains(out, "f1_score") {
		t.Errorf("best of the copy:\n%s", out)
	}
	if r := run(t, "--store", url, "fsck"); r.code != exitUsage || !strings.Contains(r.stderr, "statstore server") {
		t.Errorf("fsck of a server: exit %d %s", r.code, r.stderr)
	}
	if r := run(t, "--store", url, "--token-file", filepath.Join(t.TempDir(), "none"), "runs"); r.code != exitUsage {
		t.Errorf("missing token file: exit %d %s", r.code, r.stderr)
	}
}
