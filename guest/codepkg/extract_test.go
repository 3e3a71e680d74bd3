package codepkg

import (
	"archive/zip"
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

type entry struct {
	name string
	body string
	mode fs.FileMode
}

func makeZip(t *testing.T, entries ...entry) *bytes.Reader {
	t.Helper()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.name, Method: zip.Deflate}
		mode := e.mode
		if mode == 0 {
			mode = 0o644
		}
		h.SetMode(mode)
		fw, err := w.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fw.Write([]byte(e.body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return bytes.NewReader(buf.Bytes())
}

func extract(t *testing.T, r *bytes.Reader, lim Limits) (string, Stats, error) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "code")
	st, err := Extract(r, r.Size(), dir, lim)
	return dir, st, err
}

func TestExtractKeepsFilesAndExecutableBit(t *testing.T) {
	z := makeZip(t,
		entry{name: "bootstrap", body: "#!/bin/sh\necho hi\n", mode: 0o755},
		entry{name: "lib/", mode: fs.ModeDir | 0o755},
		entry{name: "lib/data.txt", body: "data"},
		entry{name: "lib/alias", body: "data.txt", mode: fs.ModeSymlink | 0o777},
		entry{name: "up", body: "lib/../lib/data.txt", mode: fs.ModeSymlink | 0o777},
	)
	dir, st, err := extract(t, z, DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	if st.Files != 5 || st.Bytes != int64(len("#!/bin/sh\necho hi\n")+4) {
		t.Fatalf("stats %+v", st)
	}
	fi, err := os.Stat(filepath.Join(dir, "bootstrap"))
	if err != nil || fi.Mode().Perm()&0o100 == 0 {
		t.Fatalf("bootstrap not executable: %v %v", fi.Mode(), err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "lib", "alias")); err != nil || string(b) != "data" {
		t.Fatalf("symlink: %q %v", b, err)
	}
}

func TestExtractRefusesTraversal(t *testing.T) {
	cases := map[string][]entry{
		"dotdot":               {{name: "../evil", body: "x"}},
		"nested dotdot":        {{name: "a/../../evil", body: "x"}},
		"absolute":             {{name: "/etc/evil", body: "x"}},
		"backslash":            {{name: `..\evil`, body: "x"}},
		"symlink absolute":     {{name: "l", body: "/etc/passwd", mode: fs.ModeSymlink | 0o777}},
		"symlink dotdot":       {{name: "a/l", body: "../../x", mode: fs.ModeSymlink | 0o777}},
		"symlink chain":        {{name: "s", body: ".", mode: fs.ModeSymlink | 0o777}, {name: "x", body: "s/..", mode: fs.ModeSymlink | 0o777}},
		"write through link":   {{name: "d", body: ".", mode: fs.ModeSymlink | 0o777}, {name: "d/../evil", body: "x"}},
		"write via link chain": {{name: "s", body: ".", mode: fs.ModeSymlink | 0o777}, {name: "x", body: "s/..", mode: fs.ModeSymlink | 0o777}, {name: "x/up2", body: "x"}},
		"device":               {{name: "dev", mode: fs.ModeDevice | 0o600}},
	}
	for name, entries := range cases {
		t.Run(name, func(t *testing.T) {
			parent := t.TempDir()
			dir := filepath.Join(parent, "code")
			z := makeZip(t, entries...)
			_, err := Extract(z, z.Size(), dir, DefaultLimits)
			if err == nil {
				t.Fatal("extracted")
			}
			if _, serr := os.Stat(dir); !errors.Is(serr, fs.ErrNotExist) {
				t.Fatalf("target dir left behind after %v", err)
			}
			for _, f := range []string{"evil", "up2", "x"} {
				if _, serr := os.Lstat(filepath.Join(parent, f)); serr == nil {
					t.Fatalf("%s written outside the target dir", f)
				}
			}
		})
	}
}

func TestExtractEnforcesLimits(t *testing.T) {
	big := make([]byte, 1<<20) // compresses to almost nothing: a small bomb
	z := makeZip(t, entry{name: "a", body: string(big)}, entry{name: "b", body: string(big)})
	if _, _, err := extract(t, z, Limits{MaxFiles: 10, MaxBytes: 1<<20 + 10}); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("bytes limit: %v", err)
	}
	z = makeZip(t, entry{name: "a"}, entry{name: "b"}, entry{name: "c"})
	if _, _, err := extract(t, z, Limits{MaxFiles: 2, MaxBytes: 100}); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("files limit: %v", err)
	}
}

func TestExtractRejectsNonZip(t *testing.T) {
	r := bytes.NewReader([]byte("this is not a zip"))
	if _, _, err := extract(t, r, DefaultLimits); err == nil {
		t.Fatal("garbage extracted")
	}
}

func TestVerifySha256(t *testing.T) {
	if err := VerifySha256([]byte("abc"), "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD"); err != nil {
		t.Fatal(err)
	}
	if err := VerifySha256([]byte("abd"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"); err == nil {
		t.Fatal("mismatch accepted")
	}
}
