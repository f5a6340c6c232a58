package web

import (
	"bytes"
	"crypto/sha256"
	stdembed "embed"
	"encoding/hex"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"

	"github.com/labstack/echo/v4"
)

// static holds the chat page: plain HTML, CSS and ES modules, served as they
// are, with no build step and nothing fetched from elsewhere.
//
//go:embed static
var static stdembed.FS

// contentSecurityPolicy lets the page load only its own scripts, styles and
// images and talk only to the server that served it.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; font-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// assetType returns the content type of an asset by its extension, so that
// it does not depend on the host's MIME tables, and false for a kind of
// file the page does not serve.
func assetType(name string) (string, bool) {
	switch path.Ext(name) {
	case ".html":
		return "text/html; charset=utf-8", true
	case ".css":
		return "text/css; charset=utf-8", true
	case ".js", ".mjs":
		return "text/javascript; charset=utf-8", true
	case ".svg":
		return "image/svg+xml", true
	case ".png":
		return "image/png", true
	}
	return "", false
}

// page is the chat page prepared once: the rendered index and the assets,
// served under a path holding a hash of their content so that browsers may
// cache them for good.
type page struct {
	index     []byte
	indexETag string
	version   string
	assets    fs.FS
}

// newPage renders the index with the asset version.
func newPage() (*page, error) {
	assets, err := fs.Sub(static, "static")
	if err != nil {
		return nil, err
	}
	version, err := hashFS(assets)
	if err != nil {
		return nil, err
	}
	tmpl, err := template.ParseFS(assets, "index.html")
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := tmpl.Execute(&buf, struct{ Assets string }{"/static/" + version}); err != nil {
		return nil, err
	}
	return &page{index: buf.Bytes(), indexETag: etag(buf.Bytes()), version: version, assets: assets}, nil
}

// hashFS returns a short hash of every file's name and content.
func hashFS(fsys fs.FS) (string, error) {
	h := sha256.New()
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		h.Write([]byte(p + "\x00"))
		h.Write(b)
		return nil
	})
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)[:6]), nil
}

func etag(b []byte) string {
	sum := sha256.Sum256(b)
	return `"` + hex.EncodeToString(sum[:8]) + `"`
}

// pageRoutes registers the chat page at / and its assets under /static/.
func (s *Server) pageRoutes() {
	p, err := newPage()
	if err != nil {
		// The assets are compiled in: failing here is a build defect.
		panic("web: chat page: " + err.Error())
	}
	methods := []string{http.MethodGet, http.MethodHead}
	s.echo.Match(methods, "/", p.serveIndex)
	s.echo.Match(methods, "/static/:version/*", p.serveAsset)
}

// securityHeaders sets the headers every page response carries.
func securityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
}

// serveIndex serves the page itself, revalidated on every load so that a
// new ragd is picked up at once.
func (p *page) serveIndex(c echo.Context) error {
	h := c.Response().Header()
	securityHeaders(h)
	h.Set("Cache-Control", "no-cache")
	h.Set("ETag", p.indexETag)
	if match := c.Request().Header.Get("If-None-Match"); match != "" && strings.Contains(match, p.indexETag) {
		return c.NoContent(http.StatusNotModified)
	}
	return c.Blob(http.StatusOK, "text/html; charset=utf-8", p.index)
}

// serveAsset serves one asset. Under the current version it may be cached
// for a year; under any other (a page loaded before an upgrade) it must be
// revalidated.
func (p *page) serveAsset(c echo.Context) error {
	name := path.Clean("/" + c.Param("*"))[1:]
	ctype, ok := assetType(name)
	if !ok || name == "index.html" {
		return echo.NewHTTPError(http.StatusNotFound, "no such asset")
	}
	b, err := fs.ReadFile(p.assets, name)
	if err != nil {
		return echo.NewHTTPError(http.StatusNotFound, "no such asset")
	}
	h := c.Response().Header()
	securityHeaders(h)
	tag := etag(b)
	h.Set("ETag", tag)
	if c.Param("version") == p.version {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	if match := c.Request().Header.Get("If-None-Match"); match != "" && strings.Contains(match, tag) {
		return c.NoContent(http.StatusNotModified)
	}
	return c.Blob(http.StatusOK, ctype, b)
}
