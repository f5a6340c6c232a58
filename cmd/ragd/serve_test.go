package main

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Keys of the serve tests.
const (
	testReadKey  = "serve-read-key-0123456789"
	testWriteKey = "serve-write-key-0123456789"
)

func TestServeRefusesBadConfiguration(t *testing.T) {
	dir := t.TempDir()
	badKeys := filepath.Join(dir, "keys")
	if err := os.WriteFile(badKeys, []byte(testReadKey+" read\n"+testWriteKey+" admin\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	goodKeys := filepath.Join(dir, "good-keys")
	if err := os.WriteFile(goodKeys, []byte(testReadKey+" read\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	for _, tt := range []struct {
		name    string
		env     map[string]string
		args    []string
		wantErr string
		// wantCode is 2 for a bad flag value (a usage error), else 1.
		wantCode int
	}{
		{"every interface without keys", nil, []string{"--addr", "0.0.0.0:0"}, "refusing to serve 0.0.0.0:0, which is not a loopback address, without API keys", 1},
		{"empty host without keys", nil, []string{"--addr", ":0"}, "not a loopback address", 1},
		{"IPv6 any without keys", nil, []string{"--addr", "[::]:0"}, "not a loopback address", 1},
		{"a keys file with a bad scope", nil, []string{"--api-keys-file", badKeys}, `line 2: scope "admin" is not read or write`, 1},
		{"a missing keys file", nil, []string{"--api-keys-file", filepath.Join(dir, "none")}, "--api-keys-file: open", 1},
		{"RAGD_API_KEYS with a short key", map[string]string{"RAGD_API_KEYS": "short read"}, nil, "RAGD_API_KEYS: invalid API keys: line 1: key is shorter than 16 characters", 1},
		{"a key in both places", map[string]string{"RAGD_API_KEYS": testReadKey + " write"}, []string{"--api-keys-file", goodKeys}, "--api-keys-file and RAGD_API_KEYS: invalid API keys: key", 1},
		{"an allowed host with a port", nil, []string{"--allowed-hosts", "ragd.example.org:8080"}, "--allowed-hosts", 2},
		{"a CORS origin without a scheme", nil, []string{"--cors-origins", "app.example.org"}, "--cors-origins", 2},
		{"no burst", nil, []string{"--rate-burst", "0"}, "--rate-burst 0 must be positive", 2},
		{"no connections", nil, []string{"--max-conns", "0"}, "--max-conns 0 must be positive", 2},
		{"no write timeout", nil, []string{"--write-timeout", "0s"}, "--write-timeout 0s must be positive", 2},
		{"a profiler on every interface", nil, []string{"--debug-addr", "0.0.0.0:6060"}, "the profiler listens on a loopback address only", 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{"RAGD_DATA": data}
			for k, v := range tt.env {
				env[k] = v
			}
			code, _, stderr := ragd(t, env, "", append([]string{"serve"}, tt.args...)...)
			want := tt.wantCode
			if code != want || !strings.Contains(stderr, tt.wantErr) {
				t.Fatalf("exit %d, stderr %q; want %d saying %q", code, stderr, want, tt.wantErr)
			}
			if strings.Contains(stderr, testWriteKey) || strings.Contains(stderr, testReadKey) {
				t.Errorf("stderr %q reveals a key", stderr)
			}
			if _, err := os.Stat(data); err == nil {
				t.Errorf("a refused serve created %s", data)
			}
		})
	}
}

// TestServeWithKeys serves with a keys file and RAGD_API_KEYS together.
func TestServeWithKeys(t *testing.T) {
	keys := filepath.Join(t.TempDir(), "keys")
	if err := os.WriteFile(keys, []byte("# ragd keys\n"+testReadKey+" read\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("RAGD_API_KEYS", testWriteKey+" write")
	p := serveProcess(t, filepath.Join(t.TempDir(), "data"), "--api-keys-file", keys)
	doc := `{"id":"k1","title":"Keys","text":"A document posted with a write key."}`
	for _, tt := range []struct {
		method, path, key, body string
		want                    int
	}{
		{"GET", "/healthz", "", "", 200},
		{"GET", "/api/documents", "", "", 401},
		{"GET", "/api/documents", testReadKey, "", 200},
		{"GET", "/metrics", testReadKey, "", 200},
		{"POST", "/api/documents", testReadKey, doc, 403},
		{"POST", "/api/documents", testWriteKey, doc, 201},
	} {
		req, _ := http.NewRequest(tt.method, p.URL+tt.path, strings.NewReader(tt.body))
		if tt.key != "" {
			req.Header.Set("Authorization", "Bearer "+tt.key)
		}
		if tt.body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.want {
			t.Errorf("%s %s with key %q: status %d, want %d (%s)", tt.method, tt.path, tt.key, resp.StatusCode, tt.want, b)
		}
	}
	// The log is read once the process has exited and stopped writing it.
	if err := p.stop(t); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(p.logs.String(), testReadKey) || strings.Contains(p.logs.String(), testWriteKey) {
		t.Errorf("the log reveals a key:\n%s", p.logs)
	}
	if !strings.Contains(p.logs.String(), "msg=request") {
		t.Errorf("no access log lines:\n%s", p.logs)
	}
}

// TestServeDebugAddr serves the profiler on its own loopback listener,
// beside the API and not on it.
func TestServeDebugAddr(t *testing.T) {
	debug := freeAddr(t)
	p := serveProcess(t, filepath.Join(t.TempDir(), "data"), "--debug-addr", debug)
	for _, tt := range []struct {
		url  string
		want int
	}{
		{"http://" + debug + "/debug/pprof/", http.StatusOK},
		{"http://" + debug + "/debug/pprof/heap?debug=1", http.StatusOK},
		{p.URL + "/debug/pprof/", http.StatusNotFound},
	} {
		resp, err := http.Get(tt.url)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.want || (tt.want == http.StatusOK && !strings.Contains(string(body), "heap")) {
			t.Errorf("GET %s: %d, want %d (body %.200q)", tt.url, resp.StatusCode, tt.want, body)
		}
	}
}
