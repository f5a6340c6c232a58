package web_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ragd/ragd/web"
)

// loadClient posts JSON and returns the status and the time it took.
func loadClient(tb testing.TB, client *http.Client, url, body string) (int, time.Duration) {
	start := time.Now()
	resp, err := client.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, time.Since(start)
}

// reportLatency reports the median, 99th percentile and worst of ds.
func reportLatency(b *testing.B, ds []time.Duration) {
	slices.Sort(ds)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	b.ReportMetric(ms(ds[len(ds)/2]), "p50-ms")
	b.ReportMetric(ms(ds[len(ds)*99/100]), "p99-ms")
	b.ReportMetric(ms(ds[len(ds)-1]), "max-ms")
}

// BenchmarkBesideHugeQueries measures a normal search and a POST of a
// document while another client keeps one query in flight that used to
// stall the server: 80,000 distinct words as a search or as an ask's
// history, or the largest search the limits let through (1,024 distinct
// terms). The targets: a search under 50 ms and a POST under
// 200 ms.
func BenchmarkBesideHugeQueries(b *testing.B) {
	// Without a rate limit, which would throttle the attack and hide what
	// its requests cost.
	srv, _ := newGloVeServer(b, func(c *web.Config) { c.RateLimit = -1 })
	for _, attack := range []struct{ name, path, body string }{
		// The baseline: the same requests with nothing else in flight.
		{"no-attack", "", ""},
		{"80000-word-query", "/api/search", mustJSON(map[string]any{"query": words(80000)})},
		{"80000-word-history", "/api/ask", mustJSON(map[string]any{"question": "Who?", "history": []map[string]string{{"role": "user", "content": words(80000)}}})},
		{"1024-term-query", "/api/search", mustJSON(map[string]any{"query": words(web.MaxQueryTerms)})},
	} {
		b.Run(attack.name, func(b *testing.B) {
			ctx, cancel := context.WithCancel(context.Background())
			var wg sync.WaitGroup
			var sent atomic.Int64
			wg.Go(func() {
				client := &http.Client{}
				for ctx.Err() == nil && attack.path != "" {
					req, _ := http.NewRequestWithContext(ctx, "POST", srv.URL+attack.path, strings.NewReader(attack.body))
					req.Header.Set("Content-Type", "application/json")
					resp, err := client.Do(req)
					if err != nil {
						continue
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					sent.Add(1)
				}
			})
			defer func() {
				cancel()
				wg.Wait()
			}()
			for sent.Load() == 0 && attack.path != "" {
				time.Sleep(time.Millisecond)
			}
			b.Run("search", func(b *testing.B) {
				client := &http.Client{}
				var ds []time.Duration
				for b.Loop() {
					code, d := loadClient(b, client, srv.URL+"/api/search", `{"query":"European troops in Ukraine"}`)
					if code != 200 {
						b.Fatalf("status %d", code)
					}
					ds = append(ds, d)
				}
				reportLatency(b, ds)
			})
			b.Run("post", func(b *testing.B) {
				client := &http.Client{}
				var ds []time.Duration
				for b.Loop() {
					n := time.Now().UnixNano()
					body := mustJSON(map[string]any{
						"id": fmt.Sprintf("load-%d", n), "title": fmt.Sprintf("Load test article %d", n),
						"text": fmt.Sprintf("Article %d of the load test. Harbour workers in Tromsø counted %d ships this week, the council said.", n, n%97),
					})
					code, d := loadClient(b, client, srv.URL+"/api/documents", body)
					if code != 201 {
						b.Fatalf("status %d", code)
					}
					ds = append(ds, d)
				}
				reportLatency(b, ds)
			})
		})
	}
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// slowClientsEnv names the address a slow-client helper process attacks.
const slowClientsEnv = "RAGD_SLOW_CLIENTS_ADDR"

// TestSlowClientsHelper is not a test: BenchmarkSlowConnections runs the
// test binary with it as a helper process that opens slow connections,
// since one process may not hold 20,000 of them and the server's too.
func TestSlowClientsHelper(t *testing.T) {
	addr := os.Getenv(slowClientsEnv)
	if addr == "" {
		t.Skip("a helper process of BenchmarkSlowConnections")
	}
	n, _ := strconv.Atoi(os.Getenv("RAGD_SLOW_CLIENTS"))
	var conns []net.Conn
	for range n {
		c, err := net.DialTimeout("tcp", addr, 10*time.Second)
		if err != nil {
			continue
		}
		// A header, then a body that never comes.
		_, _ = fmt.Fprintf(c, "POST /api/documents HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n{")
		conns = append(conns, c)
	}
	fmt.Printf("opened %d\n", len(conns))
	_, _ = io.Copy(io.Discard, os.Stdin) // hold them until the benchmark ends
	for _, c := range conns {
		c.Close()
	}
}

// BenchmarkSlowConnections opens 20,000 slow-body connections from one
// address (two helper processes of 10,000), then measures a normal request
// from another loopback address through the same listener and server
// timeouts ragd serve uses.
func BenchmarkSlowConnections(b *testing.B) {
	// Without a rate limit: the measured client sends b.N requests.
	srv, _ := newSafeServer(b, func(c *web.Config) { c.RateLimit = -1 })
	// The same handler, served as ragd serve serves it.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	handler := srv.Config.Handler.(*web.Server)
	hs := handler.HTTPServer()
	go func() { _ = hs.Serve(web.Listen(ln, web.DefaultMaxConns, web.DefaultMaxConnsPerClient)) }()
	defer hs.Close()
	addr := ln.Addr().String()

	self, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	opened := 0
	for range 2 {
		cmd := exec.Command(self, "-test.run=^TestSlowClientsHelper$", "-test.v")
		cmd.Env = append(os.Environ(), slowClientsEnv+"="+addr, "RAGD_SLOW_CLIENTS=10000")
		stdin, _ := cmd.StdinPipe()
		stdout, _ := cmd.StdoutPipe()
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		defer func() {
			stdin.Close()
			_ = cmd.Wait()
		}()
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			var n int
			if _, err := fmt.Sscanf(sc.Text(), "opened %d", &n); err == nil {
				opened += n
				break
			}
		}
		go func() { _, _ = io.Copy(io.Discard, stdout) }()
	}

	// A client on another loopback address, as another user would be.
	client := &http.Client{Transport: &http.Transport{
		DialContext:       (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}}).DialContext,
		DisableKeepAlives: true,
	}, Timeout: 30 * time.Second}
	var ds []time.Duration
	for b.Loop() {
		start := time.Now()
		resp, err := client.Get("http://" + addr + "/api/documents?limit=1")
		if err != nil {
			b.Fatalf("a normal request failed beside %d slow connections: %v", opened, err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatalf("status %d", resp.StatusCode)
		}
		ds = append(ds, time.Since(start))
	}
	reportLatency(b, ds)
	b.ReportMetric(float64(opened), "slow-conns")
}
