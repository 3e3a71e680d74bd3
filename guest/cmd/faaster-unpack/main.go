// Command faaster-unpack unpacks one function code package (a zip) into a new directory, for
// the guest agent (guest/native, C), which runs it for LOAD_CODE with a zip: the zip reader and
// the path-traversal and size protections stay in Go (package codepkg), out of the agent's
// process and off the cold path (the platform loads packages in place from the code share).
//
//	faaster-unpack -dest DIR [-sha256 HEX] [-zip FILE]
//
// The zip is FILE, or standard input (at most 6 MiB, the platform's payload limit). On
// success it prints {"files":N,"bytes":M} and exits 0; otherwise it prints why and exits 1,
// and DIR may hold part of the package (the agent removes it).
package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"faaster.dev/guest/codepkg"
)

// maxInline is the largest zip accepted on standard input: LOAD_CODE's body limit.
const maxInline = 6 << 20

func main() {
	dest := flag.String("dest", "", "directory to create and unpack into (must not exist)")
	digest := flag.String("sha256", "", "expected sha256 of the zip, hex (empty: not checked)")
	zipPath := flag.String("zip", "", "the zip file (default: standard input)")
	flag.Parse()
	if *dest == "" || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: faaster-unpack -dest DIR [-sha256 HEX] [-zip FILE]")
		os.Exit(2)
	}
	st, err := unpack(*dest, *digest, *zipPath, os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	out, _ := json.Marshal(map[string]int64{"files": int64(st.Files), "bytes": st.Bytes})
	fmt.Println(string(out))
}

func unpack(dest, digest, zipPath string, stdin io.Reader) (codepkg.Stats, error) {
	if zipPath == "" {
		data, err := io.ReadAll(io.LimitReader(stdin, maxInline+1))
		if err != nil {
			return codepkg.Stats{}, err
		}
		if len(data) > maxInline {
			return codepkg.Stats{}, fmt.Errorf("%w: inline zip over %d bytes", codepkg.ErrTooLarge, maxInline)
		}
		if err := codepkg.VerifySha256(data, digest); err != nil {
			return codepkg.Stats{}, err
		}
		return codepkg.Extract(bytes.NewReader(data), int64(len(data)), dest, codepkg.DefaultLimits)
	}
	f, err := os.Open(zipPath)
	if err != nil {
		return codepkg.Stats{}, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return codepkg.Stats{}, err
	}
	if !fi.Mode().IsRegular() {
		return codepkg.Stats{}, errors.New(zipPath + " is not a regular file")
	}
	if digest != "" {
		h := sha256.New()
		if _, err := io.Copy(h, f); err != nil {
			return codepkg.Stats{}, err
		}
		if got := hex.EncodeToString(h.Sum(nil)); !strings.EqualFold(got, digest) {
			return codepkg.Stats{}, fmt.Errorf("code package sha256 %s, want %s", got, digest)
		}
	}
	return codepkg.Extract(f, fi.Size(), dest, codepkg.DefaultLimits)
}
