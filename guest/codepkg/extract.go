// Package codepkg decides which files of a function's code package land in the code
// directory: it unpacks zip archives and refuses any entry that would escape that directory.
package codepkg

import (
	"archive/zip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// Limits bound what one package may unpack to. The guest has 128 MiB of RAM and the code
// directory lives in a tmpfs, so a zip bomb must fail here, not in the kernel's OOM killer.
type Limits struct {
	MaxFiles int   // entries (files, directories, symlinks)
	MaxBytes int64 // total uncompressed bytes actually written
}

// DefaultLimits fits a 128 MiB guest.
var DefaultLimits = Limits{MaxFiles: 10000, MaxBytes: 64 << 20}

// ErrUnsafePath is wrapped by errors about entries that would leave the target directory.
var ErrUnsafePath = errors.New("unsafe path in code package")

// ErrTooLarge is wrapped by errors about packages over the limits.
var ErrTooLarge = errors.New("code package over limits")

// Stats describes an unpacked package.
type Stats struct {
	Files int
	Bytes int64
}

// VerifySha256 checks data against a hex digest; an empty digest is not checked.
func VerifySha256(data []byte, want string) error {
	if want == "" {
		return nil
	}
	sum := sha256.Sum256(data)
	if got := hex.EncodeToString(sum[:]); !strings.EqualFold(got, want) {
		return fmt.Errorf("code package sha256 %s, want %s", got, want)
	}
	return nil
}

// cleanName validates a zip entry name and returns it as a relative, slash-separated path
// ("" for the archive root). It refuses absolute paths, "..", backslashes and NUL.
func cleanName(name string) (string, error) {
	if name == "" || strings.ContainsAny(name, "\\\x00") {
		return "", fmt.Errorf("%w: %q", ErrUnsafePath, name)
	}
	if strings.HasPrefix(name, "/") || filepath.VolumeName(name) != "" {
		return "", fmt.Errorf("%w: absolute %q", ErrUnsafePath, name)
	}
	for _, part := range strings.Split(name, "/") {
		if part == ".." {
			return "", fmt.Errorf("%w: %q climbs out", ErrUnsafePath, name)
		}
	}
	c := path.Clean(name)
	if c == "." {
		return "", nil
	}
	return c, nil
}

// Extract unpacks the zip in r (size bytes) into dir, which must not exist yet. On failure
// dir is removed. Regular files keep their executable bits; symlinks are kept when their
// target, resolved inside dir, stays inside dir. All writes go through an os.Root, so a
// symlink planted by an earlier entry can't redirect a later one outside dir either.
func Extract(r io.ReaderAt, size int64, dir string, lim Limits) (st Stats, err error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return st, fmt.Errorf("not a zip archive: %w", err)
	}
	if len(zr.File) > lim.MaxFiles {
		return st, fmt.Errorf("%w: %d entries > %d", ErrTooLarge, len(zr.File), lim.MaxFiles)
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return st, err
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		return st, err
	}
	defer func() {
		if err != nil {
			os.RemoveAll(dir)
		}
	}()
	root, err := os.OpenRoot(dir)
	if err != nil {
		return st, err
	}
	defer root.Close()

	var links []string
	for _, f := range zr.File {
		name, err := cleanName(f.Name)
		if err != nil {
			return st, err
		}
		if name == "" {
			continue
		}
		mode := f.Mode()
		switch {
		case mode.IsDir():
			if err := root.MkdirAll(name, 0o755); err != nil {
				return st, fmt.Errorf("%s: %w", name, err)
			}
		case mode&fs.ModeSymlink != 0:
			if err := extractSymlink(root, f, name); err != nil {
				return st, err
			}
			links = append(links, name)
		case mode.IsRegular():
			n, err := extractFile(root, f, name, lim.MaxBytes-st.Bytes)
			st.Bytes += n
			if err != nil {
				return st, err
			}
		default:
			return st, fmt.Errorf("%w: %s has unsupported type %v", ErrUnsafePath, name, mode.Type())
		}
		st.Files++
	}
	// A lexically harmless target can still leave dir through another link ("s -> ." then
	// "x -> s/.."). Resolve every link through the root: anything but "does not exist"
	// (a dangling link inside dir) means it escapes.
	for _, name := range links {
		if _, err := root.Stat(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return st, fmt.Errorf("%w: symlink %s: %v", ErrUnsafePath, name, err)
		}
	}
	return st, nil
}

func ensureParent(root *os.Root, name string) error {
	if d := path.Dir(name); d != "." {
		if err := root.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	return nil
}

func extractFile(root *os.Root, f *zip.File, name string, budget int64) (int64, error) {
	if err := ensureParent(root, name); err != nil {
		return 0, err
	}
	perm := os.FileMode(0o644)
	if f.Mode()&0o111 != 0 {
		perm = 0o755
	}
	rc, err := f.Open()
	if err != nil {
		return 0, fmt.Errorf("%s: %w", name, err)
	}
	defer rc.Close()
	out, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", name, err)
	}
	// Count what is actually inflated, not what the header claims.
	n, err := io.Copy(out, io.LimitReader(rc, budget+1))
	cerr := out.Close()
	if err != nil {
		return n, fmt.Errorf("%s: %w", name, err)
	}
	if n > budget {
		return n, fmt.Errorf("%w: unpacked size exceeds limit at %s", ErrTooLarge, name)
	}
	if cerr != nil {
		return n, fmt.Errorf("%s: %w", name, cerr)
	}
	return n, nil
}

func extractSymlink(root *os.Root, f *zip.File, name string) error {
	rc, err := f.Open()
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	target, err := io.ReadAll(io.LimitReader(rc, 4096))
	rc.Close()
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	t := string(target)
	if t == "" || strings.HasPrefix(t, "/") || strings.ContainsAny(t, "\\\x00") {
		return fmt.Errorf("%w: symlink %s -> %q", ErrUnsafePath, name, t)
	}
	resolved := path.Join(path.Dir(name), t)
	if resolved == ".." || strings.HasPrefix(resolved, "../") {
		return fmt.Errorf("%w: symlink %s -> %q leaves the package", ErrUnsafePath, name, t)
	}
	if err := ensureParent(root, name); err != nil {
		return err
	}
	if err := root.Symlink(t, name); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}
