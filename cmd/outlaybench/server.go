package main

import (
	"bufio"
	"context"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// buildOutlay builds the product binary into dir, as an operator would run it.
func buildOutlay(ctx context.Context, dir string) (string, error) {
	bin := filepath.Join(dir, "outlay")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/outlay")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build ./cmd/outlay (run the bench from the repository's root, or pass -outlay): %w", err)
	}
	return bin, nil
}

// childServer is an `outlay serve` process the bench started.
type childServer struct {
	cmd  *exec.Cmd
	Addr string // 127.0.0.1:port
	Port int
	done chan error
	log  *os.File
	stop sync.Once
}

// freePort asks the kernel for a port nobody listens on.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// startServer runs `outlay serve` on the control database controlDSN and waits until /healthz
// answers. Its log goes to logPath. extraEnv adds OUTLAY_* settings (pool sizes, say).
func startServer(ctx context.Context, bin, controlDSN string, secret []byte, blobDir, logPath string, extraEnv []string) (*childServer, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(os.Environ(),
		"OUTLAY_DATABASE_URL="+controlDSN,
		"OUTLAY_SECRET_KEY="+hex.EncodeToString(secret),
		"OUTLAY_LISTEN=127.0.0.1:"+strconv.Itoa(port),
		"OUTLAY_BASE_DOMAIN=localhost",
		"OUTLAY_PUBLIC_URL=http://localhost:"+strconv.Itoa(port),
		"OUTLAY_BLOB_URL=file://"+blobDir,
	)
	cmd.Env = append(cmd.Env, extraEnv...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// The server goes when the bench goes, even if the bench is killed.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, err
	}
	s := &childServer{cmd: cmd, Addr: "127.0.0.1:" + strconv.Itoa(port), Port: port, done: make(chan error, 1), log: logFile}
	go func() { s.done <- cmd.Wait() }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := http.Get("http://" + s.Addr + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return s, nil
			}
		}
		select {
		case err := <-s.done:
			logFile.Close()
			return nil, fmt.Errorf("outlay serve exited (%v); see %s", err, logPath)
		case <-ctx.Done():
			s.Stop()
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.Stop()
			return nil, fmt.Errorf("outlay serve did not answer /healthz within 30 s; see %s", logPath)
		}
	}
}

// Host is the Host header of tenant slug on this server.
func (s *childServer) Host(slug string) string { return slug + ".localhost:" + strconv.Itoa(s.Port) }

// RSS is the server's resident memory in bytes, from /proc.
func (s *childServer) RSS() (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no VmRSS for process %d", s.cmd.Process.Pid)
}

// Stop ends the server with SIGTERM and waits for it (SIGKILL after 30 s); later calls do
// nothing.
func (s *childServer) Stop() {
	s.stop.Do(func() {
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.done:
		case <-time.After(30 * time.Second):
			_ = s.cmd.Process.Kill()
			<-s.done
		}
		s.log.Close()
	})
}
