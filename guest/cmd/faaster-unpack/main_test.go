package main

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func zipOf(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	for name, body := range files {
		f, err := w.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		f.Write([]byte(body))
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestUnpacksStandardInputAndChecksDigest(t *testing.T) {
	data := zipOf(t, map[string]string{"bootstrap": "#!/bin/sh\necho hi\n", "lib/a.txt": "abc"})
	sum := sha256.Sum256(data)
	dest := filepath.Join(t.TempDir(), "code-1")
	st, err := unpack(dest, hex.EncodeToString(sum[:]), "", bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if st.Bytes != int64(len("#!/bin/sh\necho hi\n")+3) {
		t.Fatalf("bytes %d", st.Bytes)
	}
	if b, err := os.ReadFile(filepath.Join(dest, "lib/a.txt")); err != nil || string(b) != "abc" {
		t.Fatalf("lib/a.txt: %q %v", b, err)
	}
	_, err = unpack(filepath.Join(t.TempDir(), "x"), strings.Repeat("0", 64), "", bytes.NewReader(data))
	if err == nil || !strings.Contains(err.Error(), "sha256") {
		t.Fatalf("digest mismatch accepted: %v", err)
	}
}

func TestUnpacksFileAndRefusesTraversal(t *testing.T) {
	zipPath := filepath.Join(t.TempDir(), "p.zip")
	os.WriteFile(zipPath, zipOf(t, map[string]string{"../evil": "x"}), 0o644)
	_, err := unpack(filepath.Join(t.TempDir(), "code"), "", zipPath, nil)
	if err == nil || !strings.Contains(err.Error(), "unsafe path") {
		t.Fatalf("traversal accepted: %v", err)
	}
	_, err = unpack(filepath.Join(t.TempDir(), "code"), "", filepath.Dir(zipPath), nil)
	if err == nil {
		t.Fatal("a directory was accepted as a zip")
	}
}

func TestRefusesOversizedInline(t *testing.T) {
	_, err := unpack(filepath.Join(t.TempDir(), "code"), "", "", bytes.NewReader(make([]byte, maxInline+1)))
	if err == nil || !strings.Contains(err.Error(), "over") {
		t.Fatalf("oversized inline zip accepted: %v", err)
	}
}
