package cri

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"
)

// LogLine is one line of a container log in the CRI format
// "2024-01-01T00:00:00.000000000Z stdout F hello".
type LogLine struct {
	Time   time.Time
	Stream string // "stdout" or "stderr"
	// Partial is set for a "P" record: the runtime split a long line and
	// the next record continues it.
	Partial bool
	// Content is the text without the trailing newline.
	Content []byte
}

// maxLogLine bounds one record and one joined line (the CRI splits lines
// at 16 KiB, so this leaves ample room).
const maxLogLine = 1 << 20

// ParseLogLine parses one record of the CRI log format (without the
// trailing newline). The tag field may carry several ':'-separated tags;
// "P" marks a partial record, anything else a full one.
func ParseLogLine(b []byte) (LogLine, error) {
	b = bytes.TrimSuffix(b, []byte("\n"))
	ts, rest, ok := bytes.Cut(b, []byte(" "))
	if !ok {
		return LogLine{}, errors.New("CRI log record has no stream field")
	}
	t, err := time.Parse(time.RFC3339Nano, string(ts))
	if err != nil {
		return LogLine{}, fmt.Errorf("CRI log record has a bad timestamp: %w", err)
	}
	stream, rest, ok := bytes.Cut(rest, []byte(" "))
	if !ok {
		return LogLine{}, errors.New("CRI log record has no tag field")
	}
	if s := string(stream); s != "stdout" && s != "stderr" {
		return LogLine{}, fmt.Errorf("CRI log record has unknown stream %q", s)
	}
	tags, content, _ := bytes.Cut(rest, []byte(" "))
	if len(tags) == 0 {
		return LogLine{}, errors.New("CRI log record has an empty tag field")
	}
	partial := false
	for _, tag := range bytes.Split(tags, []byte(":")) {
		if string(tag) == "P" {
			partial = true
		}
	}
	return LogLine{Time: t, Stream: string(stream), Partial: partial, Content: content}, nil
}

// LogOptions configures ReadLog. The zero value reads what is there and
// returns.
type LogOptions struct {
	// Stream keeps only "stdout" or "stderr" lines; empty keeps both.
	Stream string
	// Follow keeps reading at the end of the file, as `tail -f` does,
	// until ctx ends or Done reports true.
	Follow bool
	// Done, when set, is asked at the end of the file while following: once
	// it reports true (the container exited) the rest is read and ReadLog
	// returns.
	Done func() bool
	// Wait is called at the end of the file while following, to wait for
	// more data. Default: wait 100ms or until ctx ends. Tests inject a
	// function driven by the writer.
	Wait func(ctx context.Context) error
}

// ReadLog reads the CRI log file at path and calls fn for each complete
// line (partial records joined), in order. A record that does not parse is
// passed through whole as a stdout line, so nothing is lost. fn's error
// stops the read and is returned.
func ReadLog(ctx context.Context, path string, opts LogOptions, fn func(LogLine) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if opts.Wait == nil {
		opts.Wait = pollWait
	}
	lr := &logReader{opts: opts, fn: fn}
	r := bufio.NewReaderSize(f, 64<<10)
	var pending []byte
	finishing := false
	for {
		chunk, err := r.ReadSlice('\n')
		pending = append(pending, chunk...)
		if len(pending) > maxLogLine {
			return fmt.Errorf("log %s: record longer than %d bytes", path, maxLogLine)
		}
		switch {
		case err == nil:
			if err := lr.record(pending); err != nil {
				return err
			}
			pending = pending[:0]
			continue
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case !errors.Is(err, io.EOF):
			return err
		}
		// At the end of the file; pending holds an unfinished record.
		if !opts.Follow || finishing {
			if len(pending) > 0 {
				if err := lr.record(pending); err != nil {
					return err
				}
			}
			return lr.flush()
		}
		if opts.Done != nil && opts.Done() {
			finishing = true // one more pass picks up the last writes
			continue
		}
		if err := opts.Wait(ctx); err != nil {
			return err
		}
	}
}

func pollWait(ctx context.Context) error {
	t := time.NewTimer(100 * time.Millisecond)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// logReader joins partial records into lines.
type logReader struct {
	opts    LogOptions
	fn      func(LogLine) error
	partial map[string]*LogLine // per stream
}

func (lr *logReader) record(b []byte) error {
	l, err := ParseLogLine(b)
	if err != nil {
		l = LogLine{Stream: "stdout", Content: bytes.TrimSuffix(b, []byte("\n"))}
	}
	if lr.opts.Stream != "" && l.Stream != lr.opts.Stream {
		return nil
	}
	l.Content = bytes.Clone(l.Content)
	if p := lr.partial[l.Stream]; p != nil {
		if len(p.Content)+len(l.Content) > maxLogLine {
			return fmt.Errorf("log line longer than %d bytes", maxLogLine)
		}
		p.Content = append(p.Content, l.Content...)
		if l.Partial {
			return nil
		}
		delete(lr.partial, l.Stream)
		l = LogLine{Time: p.Time, Stream: p.Stream, Content: p.Content}
	} else if l.Partial {
		if lr.partial == nil {
			lr.partial = map[string]*LogLine{}
		}
		lr.partial[l.Stream] = &l
		return nil
	}
	return lr.fn(l)
}

// flush hands out partial lines left at the end.
func (lr *logReader) flush() error {
	for _, s := range []string{"stdout", "stderr"} {
		if p := lr.partial[s]; p != nil {
			delete(lr.partial, s)
			if err := lr.fn(LogLine{Time: p.Time, Stream: p.Stream, Content: p.Content}); err != nil {
				return err
			}
		}
	}
	return nil
}
