package conformance

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"faaster.dev/guest/protocol"
)

var provided = protocol.LoadCodeRequest{Runtime: protocol.RuntimeProvided}

func TestLoadCodeZipInBody(t *testing.T) {
	t.Parallel()
	a := startAgent(t, protocol.RuntimeProvided)
	if st := a.ping(t); st.CodeLoaded {
		t.Fatalf("code loaded before LOAD_CODE: %+v", st)
	}
	f, err := a.call(t, protocol.TypeInvoke, protocol.InvokeRequest{TimeoutMs: 5000}, nil)
	wantError(t, "INVOKE before LOAD_CODE", f, err, protocol.CodeNoCode)

	files := []zfile{
		{"bootstrap", "#!/bin/sh\nprintf \"$(./bin/helper) $(cat data/msg.txt)\"\n", 0o755},
		{"bin/helper", "#!/bin/sh\nprintf helper\n", 0o755},
		{"data/msg.txt", "message", 0o644},
	}
	var size int64
	for _, f := range files {
		size += int64(len(f.body))
	}
	pkg := zipOf(t, files...)
	lr := a.load(t, protocol.LoadCodeRequest{Runtime: protocol.RuntimeProvided, CodeSha256: sha256Hex(pkg)}, pkg)
	if lr.Runtime != protocol.RuntimeProvided || lr.Files != len(files) || lr.Bytes != size || lr.CodeDir == "" {
		t.Fatalf("CODE_LOADED %+v: want runtime provided, %d files, %d bytes, a code dir", lr, len(files), size)
	}
	for _, f := range files {
		fi, err := os.Stat(filepath.Join(lr.CodeDir, f.name))
		if err != nil {
			t.Fatalf("unpacked %s: %v", f.name, err)
		}
		if exec := fi.Mode().Perm()&0o111 != 0; exec != (f.mode&0o111 != 0) {
			t.Fatalf("%s unpacked with mode %v, zipped with %v: the executable bit must be kept", f.name, fi.Mode(), f.mode)
		}
	}
	if st := a.ping(t); !st.CodeLoaded {
		t.Fatalf("PING after LOAD_CODE: %+v", st)
	}
	a.wantOutput(t, "invoke", nil, "helper message")
}

func TestLoadCodeSymlinksInsideThePackage(t *testing.T) {
	t.Parallel()
	a := startAgent(t, protocol.RuntimeProvided)
	pkg := zipOf(t,
		zfile{"bootstrap", "#!/bin/sh\ncat msg lib/again\n", 0o755},
		zfile{"data/msg.txt", "via link;", 0o644},
		zfile{"msg", "data/msg.txt", os.ModeSymlink | 0o777},
		zfile{"lib/again", "../data/msg.txt", os.ModeSymlink | 0o777},
	)
	lr := a.load(t, provided, pkg)
	if target, err := os.Readlink(filepath.Join(lr.CodeDir, "msg")); err != nil || target != "data/msg.txt" {
		t.Fatalf("symlink msg: %q %v", target, err)
	}
	a.wantOutput(t, "invoke through symlinks", nil, "via link;via link;")
}

func TestLoadCodeFromDirectoryPath(t *testing.T) {
	t.Parallel()
	a := startAgent(t, protocol.RuntimeProvided)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "bootstrap"), []byte("#!/bin/sh\nprintf 'from dir'\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	lr := a.load(t, protocol.LoadCodeRequest{Runtime: protocol.RuntimeProvided, Path: dir}, nil)
	if filepath.Clean(lr.CodeDir) != dir {
		t.Fatalf("code dir %s: a directory path is used in place (%s)", lr.CodeDir, dir)
	}
	a.wantOutput(t, "invoke", nil, "from dir")
	// Replacing the code must not remove a directory the agent did not create.
	a.loadScript(t, "printf next\n")
	if _, err := os.Stat(filepath.Join(dir, "bootstrap")); err != nil {
		t.Fatalf("loading other code removed the directory used in place: %v", err)
	}
}

func TestLoadCodeFromZipPath(t *testing.T) {
	t.Parallel()
	a := startAgent(t, protocol.RuntimeProvided)
	pkg := bootstrapZip(t, "printf 'from zip file'\n")
	zipPath := filepath.Join(t.TempDir(), "code.zip")
	if err := os.WriteFile(zipPath, pkg, 0o644); err != nil {
		t.Fatal(err)
	}
	lr := a.load(t, protocol.LoadCodeRequest{Runtime: protocol.RuntimeProvided, Path: zipPath, CodeSha256: sha256Hex(pkg)}, nil)
	if lr.Files != 1 || lr.CodeDir == zipPath || !strings.HasPrefix(lr.CodeDir, a.codeRoot+string(filepath.Separator)) {
		t.Fatalf("CODE_LOADED %+v: want the zip unpacked below %s", lr, a.codeRoot)
	}
	a.wantOutput(t, "invoke", nil, "from zip file")
	if _, err := os.Stat(zipPath); err != nil {
		t.Fatalf("the zip file is gone: %v", err)
	}

	wrong := strings.Repeat("0", 64)
	a.loadError(t, "zip path with a wrong sha256", protocol.LoadCodeRequest{Runtime: protocol.RuntimeProvided, Path: zipPath, CodeSha256: wrong}, nil, protocol.CodeBadCodePackage)
	a.wantNoCode(t, "a zip path with a wrong sha256")

	notZip := filepath.Join(t.TempDir(), "not.zip")
	if err := os.WriteFile(notZip, []byte("this is not a zip archive at all"), 0o644); err != nil {
		t.Fatal(err)
	}
	a.loadError(t, "path to a file that is not a zip", protocol.LoadCodeRequest{Runtime: protocol.RuntimeProvided, Path: notZip}, nil, protocol.CodeBadCodePackage)
}

func TestLoadCodeSha256(t *testing.T) {
	t.Parallel()
	a := startAgent(t, protocol.RuntimeProvided)
	pkg := bootstrapZip(t, "printf ok\n")
	sum := sha256Hex(pkg)
	a.load(t, protocol.LoadCodeRequest{Runtime: protocol.RuntimeProvided, CodeSha256: sum}, pkg)

	other := sha256Hex(append([]byte("x"), pkg...))
	a.loadError(t, "sha256 mismatch", protocol.LoadCodeRequest{Runtime: protocol.RuntimeProvided, CodeSha256: other}, pkg, protocol.CodeBadCodePackage)
	a.wantNoCode(t, "a sha256 mismatch")
	for _, bad := range []string{"abc", strings.Repeat("g", 64), sum + "00"} {
		a.loadError(t, "malformed sha256 "+bad, protocol.LoadCodeRequest{Runtime: protocol.RuntimeProvided, CodeSha256: bad}, pkg, protocol.CodeInvalidRequest)
	}
}

func TestLoadCodeRefusesUnsafePackages(t *testing.T) {
	t.Parallel()
	a := startAgent(t, protocol.RuntimeProvided)
	boot := zfile{"bootstrap", "#!/bin/sh\necho hi\n", 0o755}
	link := func(name, target string) zfile { return zfile{name, target, os.ModeSymlink | 0o777} }
	cases := []struct {
		name    string
		entries []zfile
	}{
		{"dotdot", []zfile{boot, {"../../escape", "x", 0o644}}},
		{"nested dotdot", []zfile{boot, {"a/../../../escape", "x", 0o644}}},
		{"absolute", []zfile{boot, {"/tmp/escape-abs", "x", 0o644}}},
		{"backslash", []zfile{boot, {`..\escape`, "x", 0o644}}},
		{"symlink absolute", []zfile{boot, link("escape", "/etc/passwd")}},
		{"symlink leaving", []zfile{boot, link("a/escape", "../../escape-target")}},
		{"symlink chain leaving", []zfile{boot, link("s", "."), link("escape", "s/..")}},
		{"write through a symlink", []zfile{boot, link("d", "."), {"d/../escape", "x", 0o644}}},
		{"fifo", []zfile{boot, {"escape-fifo", "", os.ModeNamedPipe | 0o644}}},
		{"device", []zfile{boot, {"escape-dev", "", os.ModeDevice | 0o600}}},
	}
	for _, tc := range cases {
		a.loadScript(t, "echo previous\n") // a failed load must also drop this
		a.loadError(t, tc.name, provided, zipOf(t, tc.entries...), protocol.CodeBadCodePackage)
		a.wantNoCode(t, tc.name)
	}
	a.loadError(t, "not a zip", provided, []byte("PK\x03\x04 but not really a zip"), protocol.CodeBadCodePackage)
	// Nothing was written outside the code directories (the base holds the code root).
	filepath.WalkDir(a.base, func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasPrefix(d.Name(), "escape") {
			t.Errorf("%s written by a refused package", p)
		}
		return nil
	})
	if _, err := os.Lstat("/tmp/escape-abs"); err == nil {
		t.Errorf("/tmp/escape-abs written by a refused package")
	}
}

func TestLoadCodeLimits(t *testing.T) {
	t.Parallel()
	a := startAgent(t, protocol.RuntimeProvided)
	// 10 001 entries.
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for i := 0; i <= 10_000; i++ {
		if _, err := w.Create(fmt.Sprintf("f%05d", i)); err != nil {
			t.Fatal(err)
		}
	}
	w.Close()
	a.loadError(t, "10 001 entries", provided, buf.Bytes(), protocol.CodeBadCodePackage)

	// A zip bomb: 64 MiB + 1 byte of zeros inflate from about 64 KiB.
	buf.Reset()
	w = zip.NewWriter(&buf)
	h := &zip.FileHeader{Name: "bootstrap", Method: zip.Deflate}
	h.SetMode(0o755)
	fw, err := w.CreateHeader(h)
	if err != nil {
		t.Fatal(err)
	}
	zeros := make([]byte, 1<<20)
	for i := 0; i < 64; i++ {
		fw.Write(zeros)
	}
	fw.Write([]byte{0})
	w.Close()
	if buf.Len() > protocol.MaxBody {
		t.Fatalf("bomb of %d bytes does not fit a frame", buf.Len())
	}
	a.loadError(t, "64 MiB + 1 unpacked", provided, buf.Bytes(), protocol.CodeBadCodePackage)
	a.wantNoCode(t, "a zip bomb")
}

func TestLoadCodeBootstrapProblems(t *testing.T) {
	t.Parallel()
	a := startAgent(t, protocol.RuntimeProvided)
	cases := []struct {
		name string
		pkg  []byte
	}{
		{"missing bootstrap", zipOf(t, zfile{"main.sh", "#!/bin/sh\necho hi\n", 0o755})},
		{"bootstrap not executable", zipOf(t, zfile{"bootstrap", "#!/bin/sh\necho hi\n", 0o644})},
		{"bootstrap is a directory", zipOf(t, zfile{"bootstrap/", "", os.ModeDir | 0o755}, zfile{"bootstrap/x", "x", 0o755})},
	}
	for _, tc := range cases {
		a.loadScript(t, "echo previous\n")
		em := a.loadError(t, tc.name, provided, tc.pkg, protocol.CodeCodeLoadFailed)
		if em.Message == "" {
			t.Fatalf("%s: ERROR without a message", tc.name)
		}
		a.wantNoCode(t, tc.name)
	}
}

func TestLoadCodeInvalidRequests(t *testing.T) {
	t.Parallel()
	a := startAgent(t, protocol.RuntimeProvided)
	pkg := bootstrapZip(t, "echo hi\n")
	dir := t.TempDir()
	cases := []struct {
		name string
		req  protocol.LoadCodeRequest
		body []byte
	}{
		{"neither path nor zip", provided, nil},
		{"both path and zip", protocol.LoadCodeRequest{Runtime: protocol.RuntimeProvided, Path: dir}, pkg},
		{"relative path", protocol.LoadCodeRequest{Runtime: protocol.RuntimeProvided, Path: "code/dir"}, nil},
		{"env name empty", protocol.LoadCodeRequest{Runtime: protocol.RuntimeProvided, Env: map[string]string{"": "x"}}, pkg},
		{"env name with =", protocol.LoadCodeRequest{Runtime: protocol.RuntimeProvided, Env: map[string]string{"A=B": "x"}}, pkg},
		{"env value with NUL", protocol.LoadCodeRequest{Runtime: protocol.RuntimeProvided, Env: map[string]string{"A": "x\x00y"}}, pkg},
		// Share paths are checked before anything is mounted (loading from a share is not tested here).
		{"share path leaving the share", protocol.LoadCodeRequest{Runtime: protocol.RuntimeProvided, Share: "faaster.code", Path: "../escape"}, nil},
		{"absolute share path", protocol.LoadCodeRequest{Runtime: protocol.RuntimeProvided, Share: "faaster.code", Path: "/abs"}, nil},
		{"share without path", protocol.LoadCodeRequest{Runtime: protocol.RuntimeProvided, Share: "faaster.code"}, nil},
	}
	for _, tc := range cases {
		a.loadError(t, tc.name, tc.req, tc.body, protocol.CodeInvalidRequest)
	}
	for _, rt := range []string{protocol.RuntimePython3, "nodejs"} {
		a.loadError(t, "runtime "+rt+" on the provided image",
			protocol.LoadCodeRequest{Runtime: rt, Handler: "app.handler"}, pkg, protocol.CodeRuntimeUnavailable)
	}
	if st := a.ping(t); st.CodeLoaded || st.Busy {
		t.Fatalf("after refused loads: %+v", st)
	}
}

// Loading replaces the previous code; the previous unpacked package is removed.
func TestLoadCodeReplacesPrevious(t *testing.T) {
	t.Parallel()
	a := startAgent(t, protocol.RuntimeProvided)
	first := a.loadScript(t, "printf one\n")
	a.wantOutput(t, "first package", nil, "one")
	second := a.loadScript(t, "printf two\n")
	if second.CodeDir == first.CodeDir {
		t.Fatalf("both packages unpacked to %s", first.CodeDir)
	}
	a.wantOutput(t, "second package", nil, "two")
	if _, err := os.Stat(first.CodeDir); err == nil {
		t.Fatalf("replaced package %s is still on disk", first.CodeDir)
	}
}
