package ui

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromiumCandidates are the Chromium binaries tried, in order. Debian's
// /usr/bin/chromium is a shell script that sources /etc/chromium.d (whose
// dev-shm test fails on some machines), greps /proc/cpuinfo and adds
// extension flags before it execs /usr/lib/chromium/chromium: the binary
// itself is started when it is there, one process and no shell in between.
func chromiumCandidates() []string {
	return []string{"/usr/lib/chromium/chromium", "chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}
}

// lookChromium returns the first candidate that is an executable file
// (absolute) or found on PATH.
func lookChromium(candidates []string) (string, bool) {
	for _, name := range candidates {
		if p, err := exec.LookPath(name); err == nil {
			return p, true
		}
	}
	return "", false
}

// inCI reports whether the environment says it is a CI job: any non-empty
// CI other than "false" or "0" (GitHub Actions, GitLab CI and others set
// CI=true, some CI=1).
func inCI(getenv func(string) string) bool {
	v := strings.TrimSpace(getenv("CI"))
	return v != "" && v != "false" && v != "0"
}

// chromiumPath finds Chromium. Without one the test is skipped, with the
// reason, on a developer's machine; in CI (CI set) its absence is a
// failure, since scripts/test.sh installs it.
func chromiumPath(t *testing.T) string {
	t.Helper()
	if p, ok := lookChromium(chromiumCandidates()); ok {
		return p
	}
	if inCI(os.Getenv) {
		t.Fatal("no Chromium found (/usr/lib/chromium/chromium or chromium, chromium-browser, google-chrome on PATH), and CI is set: CI must install it (apt-get install chromium; scripts/test.sh does)")
	}
	t.Skip("no Chromium binary on this machine (/usr/lib/chromium/chromium or chromium, chromium-browser, google-chrome on PATH): install it (apt-get install chromium) to run the browser tests; with CI set its absence fails them")
	return ""
}

// chromeFlags are the flags every test browser starts with.
//
//   - --disable-dev-shm-usage: Chromium's shared memory goes to /tmp, not
//     /dev/shm, which a container or a loaded CI machine (PostgreSQL test
//     servers use POSIX shared memory too) can run short of; a renderer that
//     cannot map its memory takes the browser down before it answers.
//   - --disable-gpu-process-crash-limit: under load the software GPU
//     process can take longer to start than Chromium waits; after a few
//     such failures Chromium exits ("GPU process isn't usable. Goodbye.")
//     instead of retrying, which chromedp reports as "chrome failed to
//     start".
//   - --disable-breakpad: no crash handler process to start and reap.
func chromeFlags(chrome, userDataDir string) []chromedp.ExecAllocatorOption {
	return []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chrome),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-gpu-process-crash-limit", true),
		chromedp.Flag("disable-breakpad", true),
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.UserDataDir(userDataDir),
		chromedp.WindowSize(1400, 1000),
	}
}

// startAttempts bounds how often a browser start is tried, and
// startBackoff is the pause before the second try, doubled before each
// further one.
const (
	startAttempts = 4
	startBackoff  = time.Second
)

// retryStart calls start up to attempts times until it succeeds, pausing
// backoff, then twice as long, and so on, between tries (never past ctx).
// It logs each failure and returns an error naming every one.
func retryStart(ctx context.Context, attempts int, backoff time.Duration, logf func(string, ...any), start func(attempt int) error) error {
	var errs []error
	for attempt := 1; attempt <= attempts; attempt++ {
		err := start(attempt)
		if err == nil {
			return nil
		}
		errs = append(errs, fmt.Errorf("attempt %d: %w", attempt, err))
		if attempt == attempts {
			break
		}
		logf("browser start %d of %d failed, trying again in %v: %v", attempt, attempts, backoff, err)
		select {
		case <-ctx.Done():
			return errors.Join(append(errs, ctx.Err())...)
		case <-time.After(backoff):
		}
		backoff *= 2
	}
	return fmt.Errorf("browser did not start in %d attempts: %w", attempts, errors.Join(errs...))
}

// startChromium starts a headless Chromium and opens a tab, retrying a
// failed start (startAttempts, with backoff) in a fresh profile. The tab's
// context ends with the test or after timeout, whichever comes first.
func startChromium(t *testing.T, chrome string, timeout time.Duration) context.Context {
	t.Helper()
	var tab context.Context
	err := retryStart(context.Background(), startAttempts, startBackoff, t.Logf, func(int) error {
		alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), chromeFlags(chrome, t.TempDir())...)
		ctx, cancelTab := chromedp.NewContext(alloc, chromedp.WithErrorf(t.Logf))
		ctx, cancelTimeout := context.WithTimeout(ctx, timeout)
		stop := func() {
			cancelTimeout()
			cancelTab()
			cancelAlloc()
		}
		if err := chromedp.Do(ctx); err != nil {
			stop()
			return err
		}
		t.Cleanup(stop)
		tab = ctx
		return nil
	})
	if err != nil {
		t.Fatalf("start Chromium %s: %v", chrome, err)
	}
	return tab
}

func TestRetryStart(t *testing.T) {
	var logged []string
	logf := func(format string, args ...any) { logged = append(logged, fmt.Sprintf(format, args...)) }
	failing := errors.New("chrome failed to start")

	calls := 0
	err := retryStart(context.Background(), 4, time.Millisecond, logf, func(attempt int) error {
		calls++
		if attempt != calls {
			t.Errorf("attempt %d on call %d", attempt, calls)
		}
		if calls < 3 {
			return failing
		}
		return nil
	})
	if err != nil || calls != 3 || len(logged) != 2 {
		t.Errorf("two failures then a start: err %v after %d calls, %d log lines; want nil after 3, 2 lines", err, calls, len(logged))
	}

	calls, logged = 0, nil
	err = retryStart(context.Background(), 3, time.Millisecond, logf, func(int) error { calls++; return failing })
	if !errors.Is(err, failing) || calls != 3 || !strings.Contains(err.Error(), "3 attempts") || !strings.Contains(err.Error(), "attempt 3") {
		t.Errorf("always failing: err %v after %d calls; want one naming the 3 attempts, after 3", err, calls)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	calls = 0
	err = retryStart(ctx, 5, time.Hour, logf, func(int) error { calls++; return failing })
	if !errors.Is(err, context.Canceled) || calls != 1 {
		t.Errorf("cancelled context: err %v after %d calls; want context.Canceled after 1 (no wait of an hour)", err, calls)
	}
}

func TestInCI(t *testing.T) {
	for v, want := range map[string]bool{"": false, "true": true, "1": true, "yes": true, "false": false, "0": false, " ": false} {
		if got := inCI(func(string) string { return v }); got != want {
			t.Errorf("inCI with CI=%q = %v, want %v", v, got, want)
		}
	}
}

func TestLookChromium(t *testing.T) {
	if p, ok := lookChromium([]string{"/nonexistent/chromium", "no-such-browser-on-path"}); ok {
		t.Errorf("lookChromium of missing binaries = %q, true; want false", p)
	}
	if p, ok := lookChromium([]string{"/nonexistent/chromium", "sh"}); !ok || !strings.HasSuffix(p, "/sh") {
		t.Errorf("lookChromium falls through to sh: %q, %v", p, ok)
	}
}
