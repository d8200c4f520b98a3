package sqlite

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/authgate/authgate/store"
	"github.com/authgate/authgate/store/storetest"
)

func open(t *testing.T, dir string) *Store {
	t.Helper()
	s, err := Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func key(id string) store.Key { return storetest.Key(id) }

// TestStoreSuite runs the behaviour every store has (package storetest).
func TestStoreSuite(t *testing.T) {
	storetest.Run(t, func(t *testing.T) (store.Store, store.Store) {
		dir := t.TempDir()
		return open(t, dir), open(t, dir)
	})
}

func TestVersionSeesOtherProcessesWrites(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	gateway, cli := open(t, dir), open(t, dir)
	v1, _ := gateway.Version(ctx)
	if v, _ := gateway.Version(ctx); v != v1 {
		t.Fatal("version moved without a write")
	}
	if err := cli.CreateKey(ctx, key("x"), "cli"); err != nil {
		t.Fatal(err)
	}
	if v2, _ := gateway.Version(ctx); v2 == v1 {
		t.Fatal("a commit by another connection did not change the version")
	}
}

func TestCorruptFileIsRefusedAndKept(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, FileName)
	garbage := bytes.Repeat([]byte("not a database "), 300)
	os.WriteFile(path, garbage, 0o600)
	_, err := Open(context.Background(), dir)
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("err = %v, want an error naming %s", err, path)
	}
	if got, _ := os.ReadFile(path); !bytes.Equal(got, garbage) {
		t.Fatal("the corrupt file was modified")
	}
	// A real database whose pages were damaged after the header.
	dir2 := t.TempDir()
	s, _ := Open(context.Background(), dir2)
	for i := range 50 {
		s.CreateKey(context.Background(), key(fmt.Sprint(i)), "t")
	}
	s.db.Exec("PRAGMA wal_checkpoint(TRUNCATE)")
	s.Close()
	path2 := filepath.Join(dir2, FileName)
	data, _ := os.ReadFile(path2)
	for i := 4096; i < len(data); i += 7 {
		data[i] ^= 0x5a
	}
	os.WriteFile(path2, data, 0o600)
	if _, err := Open(context.Background(), dir2); err == nil || !strings.Contains(err.Error(), path2) {
		t.Fatalf("damaged database: err = %v", err)
	}
	if got, _ := os.ReadFile(path2); !bytes.Equal(got, data) {
		t.Fatal("the damaged file was modified")
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	s.db.Exec("PRAGMA user_version = 99")
	s.Close()
	if _, err := Open(context.Background(), dir); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Fatalf("err = %v", err)
	}
}

// The helper process: writes keys and prints each id once committed.
func TestMain(m *testing.M) {
	if dir := os.Getenv("AUTHGATE_TEST_WRITER"); dir != "" {
		s, err := Open(context.Background(), dir)
		if err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		prefix := os.Getenv("AUTHGATE_TEST_PREFIX")
		for i := 0; ; i++ {
			id := fmt.Sprintf("%s%d", prefix, i)
			if err := s.CreateKey(context.Background(), key(id), "writer"); err != nil {
				fmt.Println("error", err)
				os.Exit(1)
			}
			fmt.Println(id)
			if n, _ := strconv.Atoi(os.Getenv("AUTHGATE_TEST_COUNT")); n > 0 && i+1 >= n {
				os.Exit(0)
			}
		}
	}
	os.Exit(m.Run())
}

func writer(t *testing.T, dir, prefix string, count int) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "AUTHGATE_TEST_WRITER="+dir, "AUTHGATE_TEST_PREFIX="+prefix, fmt.Sprintf("AUTHGATE_TEST_COUNT=%d", count))
	return cmd
}

func TestKillMidWriteLosesNoAcknowledgedKey(t *testing.T) {
	dir := t.TempDir()
	cmd := writer(t, dir, "k", 0)
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var acked []string
	sc := bufio.NewScanner(out)
	for sc.Scan() && len(acked) < 200 {
		if strings.HasPrefix(sc.Text(), "error") {
			t.Fatal(sc.Text())
		}
		acked = append(acked, sc.Text())
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	s := open(t, dir)
	for _, id := range acked {
		if _, err := s.KeyByID(context.Background(), id); err != nil {
			t.Fatalf("acknowledged key %s lost after kill -9: %v", id, err)
		}
	}
}

func TestConcurrentProcessesWrite(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir) // the "gateway", reading meanwhile
	var wg sync.WaitGroup
	outs := make([][]byte, 2)
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			outs[i], _ = writer(t, dir, fmt.Sprintf("p%d-", i), 40).Output()
		}()
	}
	stop := make(chan struct{})
	readErr := make(chan error, 1)
	go func() {
		for {
			select {
			case <-stop:
				readErr <- nil
				return
			default:
			}
			if _, err := s.Keys(context.Background()); err != nil {
				readErr <- err
				return
			}
		}
	}()
	wg.Wait()
	close(stop)
	if err := <-readErr; err != nil {
		t.Fatalf("reader failed while two processes wrote: %v", err)
	}
	keys, _ := s.Keys(context.Background())
	if len(keys) != 80 {
		t.Fatalf("%d keys after two writers of 40 each; outputs:\n%s\n%s", len(keys), outs[0], outs[1])
	}
}
