// Package web embeds the page that `galaxyctl serve --web` serves at "/":
// a live view of the gateway's Subscribe stream through connect-web, as a
// browser sees it. The TypeScript sources are under src/, the code
// generated from the proto under src/gen, and the bundle in dist/app.js;
// scripts/genweb.sh regenerates both from package-lock.json's exact
// packages, and a test fails when they are stale.
package web

import (
	"embed"
	"io/fs"
	"net/http"
)

//go:embed index.html style.css dist/app.js
var files embed.FS

// contentSecurityPolicy keeps the page to its own files: scripts and
// styles from this origin only, nothing inline, no frames. connect-src is
// open because the page may follow another gateway (?gateway=URL).
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self' http: https:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// Paths are the paths Handler serves, as http.ServeMux patterns.
var Paths = []string{"/{$}", "/app.js", "/style.css"}

// Handler serves the page: index.html at "/", its script and style beside
// it, and 404 for anything else.
func Handler() (http.Handler, error) {
	sub, err := fs.Sub(files, ".")
	if err != nil {
		return nil, err
	}
	bundle, err := fs.ReadFile(files, "dist/app.js")
	if err != nil {
		return nil, err
	}
	static := http.FileServerFS(sub)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		secure(w)
		http.ServeFileFS(w, r, files, "index.html")
	})
	mux.HandleFunc("GET /style.css", func(w http.ResponseWriter, r *http.Request) {
		secure(w)
		static.ServeHTTP(w, r)
	})
	mux.HandleFunc("GET /app.js", func(w http.ResponseWriter, _ *http.Request) {
		secure(w)
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		_, _ = w.Write(bundle)
	})
	return mux, nil
}

func secure(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	// The page changes with the binary that embeds it.
	h.Set("Cache-Control", "no-cache")
}
