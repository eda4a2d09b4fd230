// Package pgtest runs a throwaway PostgreSQL cluster for tests: initdb into
// a temporary directory, pg_ctl start on a free loopback port, one fresh
// database per test, and the whole cluster removed when the package's
// tests end. It is for _test.go files only.
//
// initdb and postgres refuse to run as root; as root the cluster runs as the
// postgres user (runuser -u postgres --), its directory handed to that user.
//
// A test that needs PostgreSQL never skips silently: when no cluster can be
// started the skip says why, and with HUSH_REQUIRE_POSTGRES=1 (CI) it fails.
package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// RequireEnv names the environment variable that turns a missing
// PostgreSQL from a skip into a failure.
const RequireEnv = "HUSH_REQUIRE_POSTGRES"

// Shared is one cluster for a test binary, started by the first test that
// asks for a database. Declare one in the package's tests and run its
// Main from TestMain, so the cluster is stopped when the tests end.
type Shared struct {
	once    sync.Once
	cluster *Cluster
	err     error
	mu      sync.Mutex
	dbs     int
}

// Main runs the tests and then stops the cluster if one was started.
func (s *Shared) Main(m *testing.M) int {
	code := m.Run()
	if s.cluster != nil {
		if err := s.cluster.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "pgtest:", err)
		}
	}
	return code
}

// Cluster returns the running cluster, starting it on first use; when none
// can run, t is skipped with the reason (failed, under HUSH_REQUIRE_POSTGRES=1).
func (s *Shared) Cluster(t testing.TB) *Cluster {
	t.Helper()
	s.once.Do(func() { s.cluster, s.err = Start() })
	if s.err != nil {
		if os.Getenv(RequireEnv) == "1" {
			t.Fatalf("PostgreSQL is required (%s=1) but no test cluster started: %v", RequireEnv, s.err)
		}
		t.Skipf("no PostgreSQL test cluster (set %s=1 to make this a failure): %v", RequireEnv, s.err)
	}
	return s.cluster
}

// Database creates an empty database for t, dropped when t ends, and
// returns its connection URL.
func (s *Shared) Database(t testing.TB) string {
	t.Helper()
	c := s.Cluster(t)
	s.mu.Lock()
	s.dbs++
	name := fmt.Sprintf("t%d", s.dbs)
	s.mu.Unlock()
	if err := c.exec("CREATE DATABASE " + name); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		if err := c.exec("DROP DATABASE " + name + " WITH (FORCE)"); err != nil {
			t.Errorf("drop test database: %v", err)
		}
	})
	return c.URL(name)
}

// Cluster is a running throwaway PostgreSQL server.
type Cluster struct {
	dir  string // holds data/, the socket and the server log
	bin  string // directory of initdb, pg_ctl and postgres
	port int
	as   string // user the server runs as; "" for the current one
}

// Start creates and starts a cluster in a new temporary directory.
func Start() (*Cluster, error) {
	bin, err := findBin()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "hush-pgtest-")
	if err != nil {
		return nil, err
	}
	c := &Cluster{dir: dir, bin: bin}
	if os.Geteuid() == 0 {
		if err := c.handTo("postgres"); err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("running as root, and the cluster cannot run as postgres: %w", err)
		}
	}
	if out, err := c.run("initdb", "-D", c.data(), "-U", "postgres", "-A", "trust", "-E", "UTF8",
		"--locale=C", "--no-sync"); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("initdb: %w: %s", err, lastLines(out))
	}
	// A port picked free can be taken before the server binds it: try a few.
	for range 3 {
		if c.port, err = freePort(); err != nil {
			break
		}
		opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off "+
			"-c full_page_writes=off -c max_connections=200", c.port, c.dir)
		var out []byte
		out, err = c.run("pg_ctl", "-D", c.data(), "-o", opts, "-l", filepath.Join(c.dir, "server.log"),
			"-w", "-t", "60", "start")
		if err == nil {
			return c, nil
		}
		err = fmt.Errorf("pg_ctl start: %w: %s %s", err, lastLines(out), lastLines(c.serverLog()))
	}
	os.RemoveAll(dir)
	return nil, err
}

// URL is the connection URL of database db on the cluster.
func (c *Cluster) URL(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", c.port, db)
}

// Stop stops the server at once (the data is thrown away) and removes its directory.
func (c *Cluster) Stop() error {
	out, err := c.run("pg_ctl", "-D", c.data(), "-m", "immediate", "-w", "stop")
	rmErr := os.RemoveAll(c.dir)
	if err != nil {
		return fmt.Errorf("pg_ctl stop: %w: %s", err, lastLines(out))
	}
	return rmErr
}

func (c *Cluster) data() string { return filepath.Join(c.dir, "data") }

func (c *Cluster) serverLog() []byte {
	b, _ := os.ReadFile(filepath.Join(c.dir, "server.log"))
	return b
}

// exec runs one statement on the maintenance database.
func (c *Cluster) exec(sql string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, c.URL("postgres"))
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql)
	return err
}

// handTo makes the cluster run as the named user, owning its directory.
func (c *Cluster) handTo(name string) error {
	u, err := user.Lookup(name)
	if err != nil {
		return err
	}
	uid, err := strconv.Atoi(u.Uid)
	if err != nil {
		return err
	}
	gid, err := strconv.Atoi(u.Gid)
	if err != nil {
		return err
	}
	if _, err := exec.LookPath("runuser"); err != nil {
		return err
	}
	if err := os.Chown(c.dir, uid, gid); err != nil {
		return err
	}
	c.as = name
	return nil
}

func (c *Cluster) run(tool string, args ...string) ([]byte, error) {
	path := filepath.Join(c.bin, tool)
	var cmd *exec.Cmd
	if c.as != "" {
		cmd = exec.Command("runuser", append([]string{"-u", c.as, "--", path}, args...)...)
	} else {
		cmd = exec.Command(path, args...)
	}
	cmd.Dir = c.dir
	return cmd.CombinedOutput()
}

// findBin finds the directory of initdb and pg_ctl: on PATH, or in Debian's
// /usr/lib/postgresql/VERSION/bin (newest version first), which is not on PATH.
func findBin() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			p = real
		}
		dir := filepath.Dir(p)
		if _, err := os.Stat(filepath.Join(dir, "pg_ctl")); err == nil {
			return dir, nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return versionOf(dirs[i]) > versionOf(dirs[j]) })
	for _, dir := range dirs {
		if _, err := os.Stat(filepath.Join(dir, "initdb")); err == nil {
			return dir, nil
		}
	}
	return "", errors.New("initdb not found on PATH or in /usr/lib/postgresql/*/bin (Debian: apt-get install postgresql)")
}

func versionOf(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// lastLines keeps error output short.
func lastLines(b []byte) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return strings.Join(lines[max(len(lines)-5, 0):], " | ")
}
