package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// killCorpus writes n documents of sentences from the seed articles, as
// JSON Lines, and returns the file.
func killCorpus(t *testing.T, n int) string {
	t.Helper()
	paths, _ := filepath.Glob("../../testdata/articles/*.txt")
	var sentences []string
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range strings.Split(string(b), ". ") {
			if len(s) > 40 {
				sentences = append(sentences, strings.TrimSpace(s)+".")
			}
		}
	}
	var b strings.Builder
	for i := range n {
		var text strings.Builder
		for k := range 12 {
			text.WriteString(sentences[(i*7+k*13)%len(sentences)])
			text.WriteString(" ")
		}
		fmt.Fprintf(&text, "Report number %d.", i)
		line, _ := json.Marshal(map[string]string{"id": fmt.Sprintf("k%05d", i), "title": fmt.Sprintf("Report %d", i), "text": text.String()})
		b.Write(line)
		b.WriteByte('\n')
	}
	path := filepath.Join(t.TempDir(), "corpus.jsonl")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// checkStore runs ragd check on data and returns how many documents it
// serves; it fails the test on any damage.
func checkStore(t *testing.T, data string) int {
	t.Helper()
	code, stdout, stderr := ragd(t, map[string]string{"RAGD_MODEL_PATH": modelPath}, "", "check", "--data", data)
	m := regexp.MustCompile(`(\d+) documents, \d+ chunks served; 0 damaged entries`).FindStringSubmatch(stdout)
	if code != 0 || m == nil {
		t.Fatalf("ragd check after kill -9: exit %d\n%s%s", code, stdout, stderr)
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// TestKill9DuringAPIIngest kills ragd serve with SIGKILL while clients
// post documents: after a restart every document whose POST was answered
// 201 is there, and the data directory holds no damage.
func TestKill9DuringAPIIngest(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	p := serveProcess(t, data, "--rate-limit", "0")
	var (
		mu    sync.Mutex
		acked []string
		wg    sync.WaitGroup
	)
	stop := make(chan struct{})
	for w := range 4 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				id := fmt.Sprintf("w%d-%05d", w, i)
				body := fmt.Sprintf(`{"id":%q,"title":"Bulletin %d","text":"Bulletin %d of writer %d: the harbour pilots reported fog at dawn and the ferry waited for the tide."}`, id, i, i, w)
				resp, err := http.Post(p.URL+"/api/documents", "application/json", strings.NewReader(body))
				if err != nil {
					return // the server is gone
				}
				resp.Body.Close()
				if resp.StatusCode == http.StatusCreated {
					mu.Lock()
					acked = append(acked, id)
					mu.Unlock()
				}
			}
		})
	}
	time.Sleep(1500 * time.Millisecond)
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-p.done
	p.done <- nil
	close(stop)
	wg.Wait()
	if len(acked) == 0 {
		t.Fatalf("no POST was acknowledged before the kill\n%s", p.logs)
	}
	t.Logf("%d POSTs acknowledged before the kill", len(acked))
	if n := checkStore(t, data); n < len(acked) {
		t.Errorf("%d documents stored, %d acknowledged", n, len(acked))
	}
	q := serveProcess(t, data, "--rate-limit", "0")
	for _, id := range acked {
		resp, err := http.Get(q.URL + "/api/documents/" + id)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("acknowledged document %s: GET %d after kill -9 and restart", id, resp.StatusCode)
		}
	}
}

// TestKill9DuringCLIIngest kills ragd ingest with SIGKILL once it has
// reported progress: the data directory opens without damage, holds at
// least what was reported done, and ingesting again completes it.
func TestKill9DuringCLIIngest(t *testing.T) {
	requireModel(t)
	corpus := killCorpus(t, 6000)
	data := filepath.Join(t.TempDir(), "data")
	cmd := exec.Command(binary(t), "ingest", "--data", data, "--model-path", modelPath, corpus)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := -1
	sc := bufio.NewScanner(stderr)
	progress := regexp.MustCompile(`done=(\d+)`)
	for sc.Scan() {
		if m := progress.FindStringSubmatch(sc.Text()); m != nil {
			done, _ = strconv.Atoi(m[1])
			break
		}
	}
	_ = cmd.Process.Kill()
	go func() {
		for sc.Scan() {
		}
	}()
	_ = cmd.Wait()
	if done < 0 {
		t.Fatal("ragd ingest reported no progress before it ended")
	}
	n := checkStore(t, data)
	if n < done {
		t.Errorf("%d documents stored after kill -9, %d reported done", n, done)
	}
	if n >= 6000 {
		t.Skipf("ingest finished before the kill (%d documents); nothing was cut", n)
	}
	if code, out, errOut := ragd(t, nil, "", "ingest", "--data", data, "--model-path", modelPath, corpus); code != 0 {
		t.Fatalf("ingest again: exit %d\n%s%s", code, out, errOut)
	}
	if n := checkStore(t, data); n != 6000 {
		t.Errorf("%d documents after ingesting again, want 6000", n)
	}
}
