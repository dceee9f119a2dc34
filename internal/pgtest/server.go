package pgtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// readyTimeout bounds how long a starting server may take to accept
// connections (it needs well under a second; crash recovery after Kill a
// little more).
const readyTimeout = 60 * time.Second

// Options configure NewServer.
type Options struct {
	// BinDir holds initdb and postgres; empty means FindBinDir.
	BinDir string
}

// Server is a throwaway PostgreSQL server listening on a Unix socket in its
// own directory. Its methods are safe for concurrent use.
type Server struct {
	binDir string
	dir    string // socket directory; the cluster is in dir/data
	cred   *syscall.Credential
	dbSeq  atomic.Int64

	schemaDBOnce sync.Once // creates schemaDB for Schema
	schemaDBErr  error

	mu   sync.Mutex
	proc *process // nil while stopped
}

// process is one run of the postgres binary.
type process struct {
	cmd     *exec.Cmd
	log     *os.File
	done    chan struct{} // closed when the process has exited
	waitErr error         // set before done is closed
}

// NewServer creates a cluster in a new directory and starts a server on it.
// Close stops it and removes the directory.
func NewServer(ctx context.Context, opts Options) (*Server, error) {
	var binDir string
	var err error
	if opts.BinDir == "" {
		binDir, err = FindBinDir(ctx)
	} else {
		binDir, err = pickBinDir(opts.BinDir)
	}
	if err != nil {
		return nil, err
	}
	cred, err := serverCredential()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "pgtest-")
	if err != nil {
		return nil, fmt.Errorf("pgtest: create server directory: %w", err)
	}
	s := &Server{binDir: binDir, dir: dir, cred: cred}
	if err := s.initdb(ctx); err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	if err := s.Restart(ctx); err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	return s, nil
}

// serverCredential returns the postgres OS user's credential when running as
// root (PostgreSQL refuses to run as root), else nil: run as ourselves.
func serverCredential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("pgtest: running as root, PostgreSQL must run as the postgres OS user, which is missing (%v): install Debian's %s package", err, DebianPackage)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("pgtest: postgres OS user has non-numeric uid %q or gid %q", u.Uid, u.Gid)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

func (s *Server) dataDir() string { return filepath.Join(s.dir, "data") }
func (s *Server) logPath() string { return filepath.Join(s.dir, "server.log") }

// command returns a command running a PostgreSQL binary as the server's user.
func (s *Server) command(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, filepath.Join(s.binDir, name), args...)
	cmd.Dir = s.dir
	cmd.Env = append(os.Environ(), "LC_ALL=C.UTF-8", "PGTZ=UTC")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred, Setpgid: true}
	return cmd
}

func (s *Server) initdb(ctx context.Context) error {
	if s.cred != nil {
		if err := os.Chown(s.dir, int(s.cred.Uid), int(s.cred.Gid)); err != nil {
			return fmt.Errorf("pgtest: give %s to the postgres user: %w", s.dir, err)
		}
	}
	// --data-checksums: PostgreSQL checks every page it reads, so a
	// flipped bit in stored data is an error there too, as in production
	// clusters that should run with checksums on.
	cmd := s.command(ctx, "initdb", "--pgdata="+s.dataDir(), "--username=postgres", "--auth=trust",
		"--encoding=UTF8", "--locale=C.UTF-8", "--data-checksums", "--no-sync", "--no-instructions")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("pgtest: initdb %s: %w\n%s", s.dataDir(), err, out)
	}
	return nil
}

// Dir returns the server's directory, which holds its Unix socket.
func (s *Server) Dir() string { return s.dir }

// URL returns a pgx connection URL for the named database, connecting as
// the superuser postgres over the Unix socket.
func (s *Server) URL(database string) string {
	u := url.URL{Scheme: "postgres", User: url.User("postgres"), Path: "/" + database,
		RawQuery: url.Values{"host": {s.dir}}.Encode()}
	return u.String()
}

// Restart starts the server if it is stopped (after Stop or Kill, or a
// crash) and waits until it accepts connections. A running server is left
// as it is.
func (s *Server) Restart(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc != nil {
		select {
		case <-s.proc.done:
			s.proc = nil
		default:
			return nil
		}
	}
	// A killed server's backends may hold its shared memory for a moment
	// after they are gone from the process table; postgres then refuses to
	// start ("pre-existing shared memory block is still in use"). Retry.
	for attempt := 1; ; attempt++ {
		err := s.start(ctx)
		if err == nil || attempt == startAttempts || !strings.Contains(err.Error(), "pre-existing shared memory block") {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Duration(attempt) * 100 * time.Millisecond):
		}
	}
}

// startAttempts bounds Restart's retries while old shared memory is in use.
const startAttempts = 10

// start starts the postgres binary and waits until it accepts connections.
func (s *Server) start(ctx context.Context) error {
	logFile, err := os.OpenFile(s.logPath(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("pgtest: open server log: %w", err)
	}
	cmd := s.command(context.Background(), "postgres", "-D", s.dataDir(), "-k", s.dir,
		"-c", "listen_addresses=", "-c", "fsync=off", "-c", "full_page_writes=off",
		"-c", "max_connections=200")
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		_ = logFile.Close()
		return fmt.Errorf("pgtest: start postgres: %w", err)
	}
	p := &process{cmd: cmd, log: logFile, done: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		_ = p.log.Close()
		close(p.done)
	}()
	s.proc = p
	if err := s.waitReady(ctx, p); err != nil {
		s.signal(p, syscall.SIGKILL)
		<-p.done
		s.proc = nil
		return err
	}
	return nil
}

// waitReady polls the socket until the server accepts a connection.
func (s *Server) waitReady(ctx context.Context, p *process) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	var lastErr error
	for {
		select {
		case <-p.done:
			return fmt.Errorf("pgtest: postgres exited while starting (%v); log:\n%s", p.waitErr, s.logTail())
		default:
		}
		conn, err := pgconn.Connect(ctx, s.URL("postgres"))
		if err == nil {
			return conn.Close(ctx)
		}
		lastErr = err
		select {
		case <-ctx.Done():
			return fmt.Errorf("pgtest: postgres not ready after %v: %v; log:\n%s", readyTimeout, lastErr, s.logTail())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// signal sends sig to the server's process group and, for SIGKILL, to
// every child of the postmaster: PostgreSQL makes each backend the leader
// of a group of its own (setsid), so a signal to the postmaster's group
// does not reach them, and a backend left alive after the postmaster dies
// can still answer a query on its connection until it notices. The
// postmaster is stopped first so that it forks none meanwhile.
// It returns the children it killed.
func (s *Server) signal(p *process, sig syscall.Signal) []int {
	pid := p.cmd.Process.Pid
	var killed []int
	if sig == syscall.SIGKILL {
		_ = syscall.Kill(pid, syscall.SIGSTOP)
		killed = children(pid)
		for _, child := range killed {
			_ = syscall.Kill(child, syscall.SIGKILL)
		}
	}
	_ = syscall.Kill(-pid, sig)
	return killed
}

// exited reports whether process pid has exited (gone, or a zombie
// nobody reaped: its sockets are closed either way).
func exited(pid int) bool {
	state, _, ok := procStat(pid)
	if !ok {
		return syscall.Kill(pid, 0) != nil
	}
	return state == "Z" || state == "X"
}

// procStat returns the state and parent of process pid from
// /proc/<pid>/stat (ok false when it cannot be read).
func procStat(pid int) (state string, ppid int, ok bool) {
	stat, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return "", 0, false
	}
	// pid (comm) state ppid ...: comm may hold spaces and parentheses.
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return "", 0, false
	}
	fields := strings.Fields(string(stat[i+1:]))
	if len(fields) < 2 {
		return "", 0, false
	}
	ppid, err = strconv.Atoi(fields[1])
	return fields[0], ppid, err == nil
}

// children returns the pids of the processes whose parent is pid (from
// /proc; none where there is no /proc).
func children(pid int) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var out []int
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if _, ppid, ok := procStat(child); ok && ppid == pid {
			out = append(out, child)
		}
	}
	return out
}

// Stop shuts the server down (fast shutdown: open sessions are
// disconnected) and waits for it to exit; if ctx ends first, it is killed.
// Stopping a stopped server does nothing.
func (s *Server) Stop(ctx context.Context) error {
	return s.stop(ctx, syscall.SIGINT)
}

// Kill kills the server and all its backends with SIGKILL, as a crash
// would, and waits for them to exit. Restart runs crash recovery.
func (s *Server) Kill() error {
	return s.stop(context.Background(), syscall.SIGKILL)
}

func (s *Server) stop(ctx context.Context, sig syscall.Signal) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.proc
	if p == nil {
		return nil
	}
	s.proc = nil
	var killed []int
	if sig != syscall.SIGKILL {
		_ = p.cmd.Process.Signal(sig) // the postmaster stops its backends
	} else {
		killed = s.signal(p, sig)
	}
	select {
	case <-p.done:
	case <-ctx.Done():
		s.signal(p, syscall.SIGKILL)
		<-p.done
		return fmt.Errorf("pgtest: postgres did not stop in time, killed it: %w", ctx.Err())
	}
	if sig == syscall.SIGKILL {
		// Wait until no process of the server holds its shared memory
		// or a connection, so that a restart does not find it in use
		// and no call is answered by a dying backend.
		return s.waitGone(p.cmd.Process.Pid, killed)
	}
	var exitErr *exec.ExitError
	if p.waitErr != nil && !errors.As(p.waitErr, &exitErr) {
		return fmt.Errorf("pgtest: wait for postgres: %w", p.waitErr)
	}
	return nil
}

// waitGone waits until no process of group pgid is left and each of
// pids has exited.
func (s *Server) waitGone(pgid int, pids []int) error {
	deadline := time.Now().Add(readyTimeout)
	gone := func() bool {
		for _, pid := range pids {
			if !exited(pid) {
				return false
			}
		}
		return syscall.Kill(-pgid, 0) != nil
	}
	for !gone() {
		if time.Now().After(deadline) {
			return fmt.Errorf("pgtest: processes of killed postgres group %d still alive after %v", pgid, readyTimeout)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return nil
}

// Close stops the server and removes its directory.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	err := s.Stop(ctx)
	if rmErr := os.RemoveAll(s.dir); rmErr != nil && err == nil {
		err = fmt.Errorf("pgtest: remove %s: %w", s.dir, rmErr)
	}
	return err
}

// CreateDatabase creates an empty database named name and returns its URL.
func (s *Server) CreateDatabase(ctx context.Context, name string) (string, error) {
	conn, err := pgconn.Connect(ctx, s.URL("postgres"))
	if err != nil {
		return "", fmt.Errorf("pgtest: connect to create database %q: %w", name, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()+" STRATEGY FILE_COPY").ReadAll(); err != nil {
		return "", fmt.Errorf("pgtest: create database %q: %w", name, err)
	}
	return s.URL(name), nil
}

// schemaDB is the database holding the schemas Schema creates.
const schemaDB = "pgtest_schemas"

// CreateSchema creates an empty schema named name in a database shared by
// all schemas of this server, and returns a URL whose connections use it
// (search_path=name): unqualified tables are created and found there. It is
// much faster than CreateDatabase.
func (s *Server) CreateSchema(ctx context.Context, name string) (string, error) {
	s.schemaDBOnce.Do(func() { _, s.schemaDBErr = s.CreateDatabase(ctx, schemaDB) })
	if s.schemaDBErr != nil {
		return "", s.schemaDBErr
	}
	conn, err := pgconn.Connect(ctx, s.URL(schemaDB))
	if err != nil {
		return "", fmt.Errorf("pgtest: connect to create schema %q: %w", name, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+pgx.Identifier{name}.Sanitize()).ReadAll(); err != nil {
		return "", fmt.Errorf("pgtest: create schema %q: %w", name, err)
	}
	u, err := url.Parse(s.URL(schemaDB))
	if err != nil {
		return "", err
	}
	q := u.Query()
	q.Set("search_path", name)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// uniqueName returns a database name derived from a test name: lower-case
// letters, digits and underscores, with a sequence number making it unique
// on this server.
func (s *Server) uniqueName(testName string) string {
	var b bytes.Buffer
	for _, r := range testName {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case r >= 'A' && r <= 'Z':
			b.WriteRune(r + 'a' - 'A')
		default:
			b.WriteByte('_')
		}
		if b.Len() >= 40 {
			break
		}
	}
	return fmt.Sprintf("t_%s_%d", b.String(), s.dbSeq.Add(1))
}

// logTail returns the end of the server log, for error messages.
func (s *Server) logTail() string {
	data, err := os.ReadFile(s.logPath())
	if err != nil {
		return fmt.Sprintf("(cannot read %s: %v)", s.logPath(), err)
	}
	if len(data) > 4000 {
		data = data[len(data)-4000:]
	}
	return string(data)
}
