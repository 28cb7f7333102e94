package cri

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseLogLine(t *testing.T) {
	t.Parallel()
	ts := time.Date(2024, 1, 1, 0, 0, 0, 5, time.UTC)
	tests := []struct {
		in      string
		want    LogLine
		wantErr bool
	}{
		{in: "2024-01-01T00:00:00.000000005Z stdout F hello", want: LogLine{Time: ts, Stream: "stdout", Content: []byte("hello")}},
		{in: "2024-01-01T00:00:00.000000005Z stderr P part one\n", want: LogLine{Time: ts, Stream: "stderr", Partial: true, Content: []byte("part one")}},
		{in: "2024-01-01T00:00:00.000000005Z stdout F ", want: LogLine{Time: ts, Stream: "stdout", Content: []byte("")}},
		{in: "2024-01-01T00:00:00.000000005Z stdout F", want: LogLine{Time: ts, Stream: "stdout"}},
		{in: "2024-01-01T00:00:00.000000005Z stdout F:x two  spaces ", want: LogLine{Time: ts, Stream: "stdout", Content: []byte("two  spaces ")}},
		{in: "2024-01-01T00:00:00.000000005Z stdout x:P a", want: LogLine{Time: ts, Stream: "stdout", Partial: true, Content: []byte("a")}},
		{in: "not-a-time stdout F x", wantErr: true},
		{in: "2024-01-01T00:00:00Z stdin F x", wantErr: true},
		{in: "2024-01-01T00:00:00Z", wantErr: true},
		{in: "2024-01-01T00:00:00Z stdout", wantErr: true},
		{in: "2024-01-01T00:00:00Z stdout  x", wantErr: true},
		{in: "", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseLogLine([]byte(tc.in))
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if tc.wantErr {
				return
			}
			if !got.Time.Equal(tc.want.Time) || got.Stream != tc.want.Stream || got.Partial != tc.want.Partial || string(got.Content) != string(tc.want.Content) {
				t.Fatalf("got %+v (%q), want %+v (%q)", got, got.Content, tc.want, tc.want.Content)
			}
		})
	}
}

func FuzzParseLogLine(f *testing.F) {
	f.Add([]byte("2024-01-01T00:00:00.000000000Z stdout F line"))
	f.Add([]byte("2024-01-01T00:00:00.000000000Z stderr P:x part\n"))
	f.Add([]byte("garbage"))
	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := ParseLogLine(b)
		if err != nil {
			return
		}
		if l.Stream != "stdout" && l.Stream != "stderr" {
			t.Fatalf("stream %q accepted", l.Stream)
		}
		if len(l.Content) > len(b) {
			t.Fatal("content longer than input")
		}
	})
}

func collect(t *testing.T, path string, opts LogOptions) []string {
	t.Helper()
	var got []string
	err := ReadLog(t.Context(), path, opts, func(l LogLine) error {
		got = append(got, l.Stream+":"+string(l.Content))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestReadLog(t *testing.T) {
	t.Parallel()
	log := strings.Join([]string{
		"2024-01-01T00:00:00.1Z stdout F one",
		"2024-01-01T00:00:00.2Z stderr P err-a",
		"2024-01-01T00:00:00.3Z stdout P tw",
		"2024-01-01T00:00:00.4Z stdout F o",
		"2024-01-01T00:00:00.5Z stderr F err-b",
		"unparseable record",
		"2024-01-01T00:00:00.6Z stdout F last",
	}, "\n") + "\n"
	path := filepath.Join(t.TempDir(), "0.log")
	if err := os.WriteFile(path, []byte(log), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		stream string
		want   string
	}{
		{"", "stdout:one|stdout:two|stderr:err-aerr-b|stdout:unparseable record|stdout:last"},
		{"stderr", "stderr:err-aerr-b"},
		{"stdout", "stdout:one|stdout:two|stdout:unparseable record|stdout:last"},
	}
	for _, tc := range tests {
		if got := strings.Join(collect(t, path, LogOptions{Stream: tc.stream}), "|"); got != tc.want {
			t.Errorf("stream %q: got %q, want %q", tc.stream, got, tc.want)
		}
	}
}

// TestReadLogFollow writes the log in steps driven by the reader's Wait, so
// the test never sleeps: each Wait appends the next piece (including a
// record split mid-line), and Done reports the "container" exited after the
// last piece.
func TestReadLogFollow(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "0.log")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	pieces := []string{
		"2024-01-01T00:00:00Z stdout F first\n2024-01-01T00:00:00Z stdout F sec",
		"ond\n",
		"2024-01-01T00:00:01Z stdout P thi",
		"rd\n2024-01-01T00:00:02Z stdout F  line\n",
		"2024-01-01T00:00:03Z stdout F after-exit\n",
	}
	next := 0
	write := func() {
		if _, err := f.WriteString(pieces[next]); err != nil {
			t.Fatal(err)
		}
		next++
	}
	write()
	exited := false
	opts := LogOptions{
		Follow: true,
		Done:   func() bool { return exited },
		Wait: func(ctx context.Context) error {
			write()
			if next == len(pieces) {
				exited = true
			}
			return nil
		},
	}
	got := strings.Join(collect(t, path, opts), "|")
	want := "stdout:first|stdout:second|stdout:third line|stdout:after-exit"
	if got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestReadLogFollowStopsWithContext(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "0.log")
	if err := os.WriteFile(path, []byte("2024-01-01T00:00:00Z stdout F x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	var got []string
	err := ReadLog(ctx, path, LogOptions{Follow: true}, func(l LogLine) error {
		got = append(got, string(l.Content))
		cancel()
		return nil
	})
	if err != context.Canceled || len(got) != 1 {
		t.Fatalf("err %v, lines %q", err, got)
	}
}
