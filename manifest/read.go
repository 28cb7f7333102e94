package manifest

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Read decodes every source in paths, in order: "-" is stdin, a directory
// contributes its .yaml, .yml and .json files (not recursively, in name
// order). Each source over MaxBytes is rejected before decoding.
func Read(paths []string, stdin io.Reader) ([]Document, error) {
	var docs []Document
	for _, p := range paths {
		var (
			d   []Document
			err error
		)
		if p == "-" {
			d, err = readSource("STDIN", stdin)
		} else {
			d, err = readPath(p)
		}
		if err != nil {
			return nil, err
		}
		docs = append(docs, d...)
	}
	return docs, nil
}

func readPath(p string) ([]Document, error) {
	fi, err := os.Stat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("the path %q does not exist", p)
	}
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return readFile(p)
	}
	entries, err := os.ReadDir(p)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		switch strings.ToLower(filepath.Ext(e.Name())) {
		case ".yaml", ".yml", ".json":
			if !e.IsDir() {
				names = append(names, e.Name())
			}
		}
	}
	sort.Strings(names)
	var docs []Document
	for _, n := range names {
		d, err := readFile(filepath.Join(p, n))
		if err != nil {
			return nil, err
		}
		docs = append(docs, d...)
	}
	return docs, nil
}

func readFile(p string) ([]Document, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readSource(p, f)
}

func readSource(name string, r io.Reader) ([]Document, error) {
	if r == nil {
		return nil, fmt.Errorf("no standard input to read %s from", name)
	}
	data, err := io.ReadAll(io.LimitReader(r, MaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", quoteSource(name), err)
	}
	if len(data) > MaxBytes {
		return nil, &TooLargeError{Source: name, Size: int64(len(data)), Limit: MaxBytes}
	}
	return Decode(name, data)
}
