package main

import (
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/ragd/ragd/retrieval/weaviate/weaviatetest"
)

// composeFile is the part of docker-compose.yml the test checks.
type composeFile struct {
	Services map[string]composeService `yaml:"services"`
	Volumes  map[string]any            `yaml:"volumes"`
}

type composeService struct {
	Profiles    []string                  `yaml:"profiles"`
	Image       string                    `yaml:"image"`
	Build       string                    `yaml:"build"`
	Entrypoint  []string                  `yaml:"entrypoint"`
	Command     []string                  `yaml:"command"`
	Environment map[string]string         `yaml:"environment"`
	Ports       []string                  `yaml:"ports"`
	Volumes     []string                  `yaml:"volumes"`
	DependsOn   map[string]composeDepends `yaml:"depends_on"`
	Healthcheck *struct {
		Test []string `yaml:"test"`
	} `yaml:"healthcheck"`
}

type composeDepends struct {
	Condition string `yaml:"condition"`
}

func readCompose(tb testing.TB) composeFile {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "docker-compose.yml"))
	if err != nil {
		tb.Fatal(err)
	}
	var c composeFile
	if err := yaml.Unmarshal(data, &c); err != nil {
		tb.Fatalf("docker-compose.yml: %v", err)
	}
	for _, name := range []string{"ollama", "ollama-pull", "ragd"} {
		if _, ok := c.Services[name]; !ok {
			tb.Fatalf("docker-compose.yml has no service %q", name)
		}
	}
	return c
}

// serveVariables returns the environment variables `ragd serve` reads: one
// per flag listed by `ragd serve -h`, and the log level.
func serveVariables(tb testing.TB) map[string]bool {
	tb.Helper()
	code, help, stderr := ragd(tb, nil, "", "serve", "-h")
	if code != 0 {
		tb.Fatalf("ragd serve -h: exit %d: %s", code, stderr)
	}
	vars := map[string]bool{"RAGD_LOG_LEVEL": true}
	for _, m := range regexp.MustCompile(`(?m)^\s+--?([a-z0-9][a-z0-9-]*)`).FindAllStringSubmatch(help, -1) {
		vars[envName(m[1])] = true
	}
	for _, v := range []string{"RAGD_DATA", "RAGD_ADDR", "RAGD_LLM_URL", "RAGD_EMBED_URL"} {
		if !vars[v] {
			tb.Fatalf("ragd serve -h does not list the flag of %s:\n%s", v, help)
		}
	}
	return vars
}

// mount splits a volume entry "name:/path[:mode]" into name and path.
func mount(v string) (name, path string) {
	parts := strings.Split(v, ":")
	if len(parts) < 2 {
		return "", v
	}
	return parts[0], parts[1]
}

// mountOf returns the volume mounted at path, or "".
func mountOf(s composeService, path string) string {
	for _, v := range s.Volumes {
		if name, p := mount(v); p == path {
			return name
		}
	}
	return ""
}

func TestComposeConfiguresRagdWithOllama(t *testing.T) {
	c := readCompose(t)
	ollama, pull, rd := c.Services["ollama"], c.Services["ollama-pull"], c.Services["ragd"]
	vars := rd.Environment
	known := serveVariables(t)

	t.Run("every RAGD variable is a ragd flag", func(t *testing.T) {
		for k := range vars {
			if strings.HasPrefix(k, "RAGD_") && !known[k] {
				t.Errorf("ragd sets %s, which ragd serve does not read", k)
			}
		}
	})
	t.Run("the values pass ragd's validation", func(t *testing.T) {
		sc, lc := parseServeFlags(t, vars)
		if err := sc.validate(); err != nil {
			t.Error(err)
		}
		if err := lc.validate(); err != nil {
			t.Error(err)
		}
		if sc.Embedder != "ollama" || lc.URL == "" {
			t.Errorf("embedder %q, LLM URL %q: want Ollama for both embeddings and answers", sc.Embedder, lc.URL)
		}
	})
	t.Run("URLs point at the ollama service", func(t *testing.T) {
		for k, wantPath := range map[string]string{"RAGD_EMBED_URL": "", "RAGD_LLM_URL": "/v1"} {
			u, err := url.Parse(vars[k])
			if err != nil || u.Host != "ollama:11434" || strings.TrimSuffix(u.Path, "/") != wantPath {
				t.Errorf("%s=%q, want http://ollama:11434%s", k, vars[k], wantPath)
			}
		}
		if pull.Environment["OLLAMA_HOST"] != "ollama:11434" {
			t.Errorf("ollama-pull OLLAMA_HOST=%q, want ollama:11434", pull.Environment["OLLAMA_HOST"])
		}
	})
	t.Run("the models ragd uses are pulled", func(t *testing.T) {
		script := strings.Join(pull.Entrypoint, " ") + " " + strings.Join(pull.Command, " ")
		for _, k := range []string{"RAGD_EMBED_MODEL", "RAGD_LLM_MODEL"} {
			if vars[k] == "" || !strings.Contains(script, "ollama pull "+vars[k]) {
				t.Errorf("%s=%q is not pulled by ollama-pull (%q)", k, vars[k], script)
			}
		}
	})
	t.Run("images and dependencies", func(t *testing.T) {
		for name, s := range map[string]composeService{"ollama": ollama, "ollama-pull": pull} {
			if !strings.HasPrefix(s.Image, "ollama/ollama") {
				t.Errorf("%s image %q, want ollama/ollama", name, s.Image)
			}
		}
		if rd.Build == "" {
			t.Errorf("ragd is not built from the Dockerfile")
		}
		want := map[string]map[string]string{
			"ollama-pull": {"ollama": "service_healthy"},
			"ragd":        {"ollama": "service_healthy", "ollama-pull": "service_completed_successfully"},
		}
		for name, deps := range want {
			for dep, cond := range deps {
				if got := c.Services[name].DependsOn[dep].Condition; got != cond {
					t.Errorf("%s depends on %s with condition %q, want %q", name, dep, got, cond)
				}
			}
		}
	})
	t.Run("volumes", func(t *testing.T) {
		models := mountOf(ollama, "/root/.ollama")
		if models == "" || mountOf(pull, "/root/.ollama") != models {
			t.Errorf("ollama and ollama-pull do not share a model volume at /root/.ollama")
		}
		data := mountOf(rd, vars["RAGD_DATA"])
		if vars["RAGD_DATA"] == "" || data == "" {
			t.Errorf("RAGD_DATA=%q is not a mounted volume", vars["RAGD_DATA"])
		}
		for _, v := range []string{models, data} {
			if _, ok := c.Volumes[v]; !ok {
				t.Errorf("volume %q is not declared", v)
			}
		}
	})
	t.Run("ragd listens where it is published and checked", func(t *testing.T) {
		host, port, err := net.SplitHostPort(vars["RAGD_ADDR"])
		if err != nil || host != "0.0.0.0" {
			t.Fatalf("RAGD_ADDR=%q, want 0.0.0.0:PORT", vars["RAGD_ADDR"])
		}
		if !slices.ContainsFunc(rd.Ports, func(p string) bool { return strings.HasSuffix(p, ":"+port) }) {
			t.Errorf("ports %v do not publish %s", rd.Ports, port)
		}
		if rd.Healthcheck == nil || !strings.Contains(strings.Join(rd.Healthcheck.Test, " "), ":"+port+"/healthz") {
			t.Errorf("ragd healthcheck does not call /healthz on port %s", port)
		}
		if ollama.Healthcheck == nil || len(ollama.Healthcheck.Test) == 0 {
			t.Errorf("ollama has no healthcheck")
		}
	})
}

// dockerStages splits a Dockerfile into stages of instructions, joining
// continued lines and dropping comments.
func dockerStages(text string) [][]string {
	text = strings.ReplaceAll(text, "\\\n", " ")
	var stages [][]string
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasPrefix(strings.ToUpper(line), "FROM ") {
			stages = append(stages, nil)
		}
		if len(stages) > 0 {
			stages[len(stages)-1] = append(stages[len(stages)-1], line)
		}
	}
	return stages
}

func TestDockerfileBuildsAStaticNonRootImage(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	stages := dockerStages(string(data))
	if len(stages) < 2 {
		t.Fatalf("%d stages, want a build stage and a runtime stage", len(stages))
	}
	build := strings.Join(stages[0], "\n")
	if !strings.HasPrefix(stages[0][0], "FROM golang:1.26") {
		t.Errorf("build stage %q, want FROM golang:1.26", stages[0][0])
	}
	if !regexp.MustCompile(`(?m)^RUN .*CGO_ENABLED=0 .*go build .*\./cmd/ragd`).MatchString(build) {
		t.Errorf("the build stage does not build ./cmd/ragd with CGO_ENABLED=0:\n%s", build)
	}
	final := stages[len(stages)-1]
	if strings.Contains(final[0], "golang") {
		t.Errorf("the runtime stage %q is the Go toolchain image", final[0])
	}
	var user string
	for _, in := range final {
		if u, ok := strings.CutPrefix(in, "USER "); ok {
			user = strings.TrimSpace(u)
		}
	}
	if name, _, _ := strings.Cut(user, ":"); name == "" || name == "root" || name == "0" {
		t.Errorf("the runtime stage runs as %q, want a non-root user", user)
	}
	rt := strings.Join(final, "\n")
	for _, want := range []string{"COPY --from=", "HEALTHCHECK", "/healthz"} {
		if !strings.Contains(rt, want) {
			t.Errorf("the runtime stage lacks %q", want)
		}
	}
}

func TestComposeWeaviateProfile(t *testing.T) {
	c := readCompose(t)
	wv, ok := c.Services["weaviate"]
	rd, ok2 := c.Services["ragd-weaviate"]
	if !ok || !ok2 {
		t.Fatal("docker-compose.yml has no weaviate and ragd-weaviate services")
	}
	for name, s := range map[string]composeService{"weaviate": wv, "ragd-weaviate": rd} {
		if !slices.Equal(s.Profiles, []string{"weaviate"}) {
			t.Errorf("%s profiles %v, want [weaviate]", name, s.Profiles)
		}
	}
	for name, s := range c.Services {
		if name != "weaviate" && name != "ragd-weaviate" && len(s.Profiles) > 0 {
			t.Errorf("%s is in profiles %v: plain 'docker compose up' would not start it", name, s.Profiles)
		}
	}
	t.Run("the official image of the tested version", func(t *testing.T) {
		image, tag, _ := strings.Cut(wv.Image, ":")
		if image != "cr.weaviate.io/semitechnologies/weaviate" && image != "semitechnologies/weaviate" {
			t.Errorf("weaviate image %q, want semitechnologies/weaviate", wv.Image)
		}
		if "v"+tag != weaviatetest.Version {
			t.Errorf("weaviate image tag %q, want the version the tests run, %s", tag, weaviatetest.Version)
		}
	})
	t.Run("weaviate without modules, on a volume", func(t *testing.T) {
		env := wv.Environment
		if env["DEFAULT_VECTORIZER_MODULE"] != "none" || env["ENABLE_MODULES"] != "" {
			t.Errorf("weaviate modules: DEFAULT_VECTORIZER_MODULE=%q ENABLE_MODULES=%q, want none: ragd sends vectors", env["DEFAULT_VECTORIZER_MODULE"], env["ENABLE_MODULES"])
		}
		if env["AUTHENTICATION_ANONYMOUS_ACCESS_ENABLED"] != "true" && env["AUTHENTICATION_APIKEY_ENABLED"] != "true" {
			t.Errorf("weaviate has no authentication scheme ragd can use")
		}
		data := mountOf(wv, env["PERSISTENCE_DATA_PATH"])
		if data == "" {
			t.Errorf("PERSISTENCE_DATA_PATH=%q is not a mounted volume", env["PERSISTENCE_DATA_PATH"])
		} else if _, ok := c.Volumes[data]; !ok {
			t.Errorf("volume %q is not declared", data)
		}
		if wv.Healthcheck == nil || !strings.Contains(strings.Join(wv.Healthcheck.Test, " "), "/v1/.well-known/ready") {
			t.Errorf("weaviate healthcheck does not call /v1/.well-known/ready")
		}
	})
	t.Run("ragd stores its index in the weaviate service", func(t *testing.T) {
		vars := rd.Environment
		known := serveVariables(t)
		for k := range vars {
			if strings.HasPrefix(k, "RAGD_") && !known[k] {
				t.Errorf("ragd-weaviate sets %s, which ragd serve does not read", k)
			}
		}
		sc, _ := parseServeFlags(t, vars)
		if err := sc.validate(); err != nil {
			t.Error(err)
		}
		if sc.Store != "weaviate" {
			t.Errorf("ragd-weaviate --store %q, want weaviate", sc.Store)
		}
		u, err := url.Parse(sc.Weaviate.URL)
		port := "8080"
		for i, a := range wv.Command {
			if a == "--port" && i+1 < len(wv.Command) {
				port = wv.Command[i+1]
			}
		}
		if err != nil || u.Host != "weaviate:"+port {
			t.Errorf("RAGD_WEAVIATE_URL=%q, want http://weaviate:%s", sc.Weaviate.URL, port)
		}
		if got := rd.DependsOn["weaviate"].Condition; got != "service_healthy" {
			t.Errorf("ragd-weaviate depends on weaviate with condition %q, want service_healthy", got)
		}
		if rd.Healthcheck == nil || !strings.Contains(strings.Join(rd.Healthcheck.Test, " "), "/healthz") {
			t.Errorf("ragd-weaviate healthcheck does not call /healthz")
		}
		for _, p := range rd.Ports {
			for _, q := range c.Services["ragd"].Ports {
				if strings.Split(p, ":")[0] == strings.Split(q, ":")[0] {
					t.Errorf("ragd and ragd-weaviate both publish host port %s", strings.Split(p, ":")[0])
				}
			}
		}
	})
}

// parseServeFlags parses the store and LLM flags of ragd serve from vars.
func parseServeFlags(tb testing.TB, vars map[string]string) (storeConfig, llmConfig) {
	tb.Helper()
	fs := newFlagSet(&env{getenv: func(k string) string { return vars[k] }}, "serve", "")
	var sc storeConfig
	sc.register(fs)
	var lc llmConfig
	lc.register(fs)
	fs.String("addr", "", "")
	fs.Int64("max-body", 0, "")
	if err := fs.parse(nil); err != nil {
		tb.Fatal(err)
	}
	return sc, lc
}
