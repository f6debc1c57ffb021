package web

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestGeneratedFresh regenerates the page's generated TypeScript and its
// bundle into a temporary directory, with the pinned packages, and fails
// when they differ from what is committed and embedded: a proto or page
// change that was not followed by scripts/genweb.sh.
func TestGeneratedFresh(t *testing.T) {
	for _, tool := range []string{"node", "npm", "protoc"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("GALAXY_REQUIRE_WEB_TOOLS") != "" {
				t.Fatalf("%s is not on PATH and GALAXY_REQUIRE_WEB_TOOLS is set: install Node.js 20+ with npm, and protoc", tool)
			}
			t.Skipf("%s is not on PATH: cannot regenerate the page to check that it is fresh (scripts/genweb.sh needs Node.js 20+ with npm, and protoc; .ci/run installs them)", tool)
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	out := t.TempDir()
	cmd := exec.CommandContext(ctx, "bash", filepath.Join("..", "scripts", "genweb.sh"), out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("scripts/genweb.sh: %v\n%s", err, b)
	}
	fresh, err := os.ReadFile(filepath.Join(out, "dist", "app.js"))
	if err != nil {
		t.Fatal(err)
	}
	embedded, err := fs.ReadFile(files, "dist/app.js")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(fresh, embedded) {
		t.Errorf("web/dist/app.js (%d bytes, embedded) differs from a fresh build (%d bytes): run scripts/genweb.sh and commit the result", len(embedded), len(fresh))
	}
	genDir := filepath.Join(out, "src", "gen")
	err = filepath.WalkDir(genDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(out, path)
		want, _ := os.ReadFile(path)
		got, err := os.ReadFile(rel)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("web/%s is stale or missing: run scripts/genweb.sh and commit the result", filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
