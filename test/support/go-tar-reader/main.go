// go-tar-reader reads a backup tarball the way Velero's restore does (compress/gzip with its default
// multistream reader, then archive/tar) and prints one JSON line per entry: name, type flag, mode,
// size and the SHA-256 of the body. The archive tests compare it with what Stowage wrote, so an
// archive Go's readers reject, or read differently, fails a test. Built by `scripts/setup go-tar-reader`.
package main

import (
	"archive/tar"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
)

type entry struct {
	Name     string `json:"name"`
	Typeflag string `json:"typeflag"`
	Mode     int64  `json:"mode"`
	Size     int64  `json:"size"`
	Sha256   string `json:"sha256"`
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: go-tar-reader FILE.tar.gz")
		os.Exit(2)
	}
	if err := run(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "go-tar-reader:", err)
		os.Exit(1)
	}
}

func run(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return fmt.Errorf("gzip header: %w", err)
	}
	tr := tar.NewReader(gz)
	out := json.NewEncoder(os.Stdout)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("tar: %w", err)
		}
		sum := sha256.New()
		if _, err := io.Copy(sum, tr); err != nil {
			return fmt.Errorf("%s: %w", h.Name, err)
		}
		if err := out.Encode(entry{h.Name, string(h.Typeflag), h.Mode, h.Size, hex.EncodeToString(sum.Sum(nil))}); err != nil {
			return err
		}
	}
	// what follows the tar's end marker must still be valid gzip up to its CRC-32 and size trailer
	if _, err := io.Copy(io.Discard, gz); err != nil {
		return fmt.Errorf("gzip trailer: %w", err)
	}
	return gz.Close()
}
