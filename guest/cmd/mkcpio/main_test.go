package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

type member struct {
	ino, mode, size, major, minor uint64
	name, data                    string
}

// readNewc parses a newc archive (enough of it to check what Write produced).
func readNewc(t *testing.T, b []byte) []member {
	t.Helper()
	var ms []member
	for off := 0; ; {
		h := string(b[off : off+110])
		if h[:6] != "070701" {
			t.Fatalf("bad magic at %d", off)
		}
		field := func(i int) uint64 {
			v, err := strconv.ParseUint(h[6+8*i:14+8*i], 16, 32)
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
		m := member{ino: field(0), mode: field(1), size: field(6), major: field(9), minor: field(10)}
		nameLen := int(field(11))
		m.name = string(b[off+110 : off+110+nameLen-1])
		off += (110 + nameLen + 3) &^ 3
		m.data = string(b[off : off+int(m.size)])
		off += (int(m.size) + 3) &^ 3
		if m.name == trailer {
			return ms
		}
		ms = append(ms, m)
	}
}

func TestWriteIsDeterministicAndComplete(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "bin"), 0o755)
	os.WriteFile(filepath.Join(dir, "init"), []byte("#!/bin/sh\n"), 0o755)
	os.WriteFile(filepath.Join(dir, "bin", "busybox"), []byte("elf"), 0o755)
	os.Symlink("busybox", filepath.Join(dir, "bin", "sh"))
	var a, b bytes.Buffer
	if err := Write(&a, os.DirFS(dir), dir, 0, []string{"/dev/console:c:5:1:0600"}); err != nil {
		t.Fatal(err)
	}
	// Same tree again, files created in another order: identical bytes.
	dir2 := t.TempDir()
	os.WriteFile(filepath.Join(dir2, "init"), []byte("#!/bin/sh\n"), 0o755)
	os.MkdirAll(filepath.Join(dir2, "bin"), 0o755)
	os.Symlink("busybox", filepath.Join(dir2, "bin", "sh"))
	os.WriteFile(filepath.Join(dir2, "bin", "busybox"), []byte("elf"), 0o755)
	if err := Write(&b, os.DirFS(dir2), dir2, 0, []string{"/dev/console:c:5:1:0600"}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("archive depends on more than the tree's contents")
	}
	ms := readNewc(t, a.Bytes())
	want := []struct {
		name string
		mode uint64
		data string
	}{
		{"bin", sIFDIR | 0o755, ""},
		{"bin/busybox", sIFREG | 0o755, "elf"},
		{"bin/sh", sIFLNK | 0o777, "busybox"},
		{"dev/console", sIFCHR | 0o600, ""},
		{"init", sIFREG | 0o755, "#!/bin/sh\n"},
	}
	if len(ms) != len(want) {
		t.Fatalf("%d members: %+v", len(ms), ms)
	}
	for i, w := range want {
		if ms[i].name != w.name || ms[i].mode != w.mode || ms[i].data != w.data || ms[i].ino != uint64(i+1) {
			t.Fatalf("member %d: %+v, want %+v", i, ms[i], w)
		}
	}
	if ms[3].major != 5 || ms[3].minor != 1 {
		t.Fatalf("console %+v", ms[3])
	}
}
