package cli

import (
	"fmt"
	"io"
	"sync"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/pullwarden/pullwarden/registry"
)

// progressView shows transfer progress: bars on a terminal, lines otherwise.
type progressView interface {
	Update(registry.Progress)
	Done()
}

func newProgressView(w io.Writer, quiet bool) progressView {
	switch {
	case quiet:
		return nopView{}
	case isTerminal(w):
		return newBarView(w)
	default:
		return &lineView{w: w, last: map[v1.Hash]registry.State{}, every: 2 * time.Second, now: time.Now}
	}
}

type nopView struct{}

func (nopView) Update(registry.Progress) {}
func (nopView) Done()                    {}

func short(h v1.Hash) string {
	if len(h.Hex) < 12 {
		return h.Hex
	}
	return h.Hex[:12]
}

// lineView prints a line when a blob changes state, and at most every
// `every` while it downloads.
type lineView struct {
	mu      sync.Mutex
	w       io.Writer
	last    map[v1.Hash]registry.State
	printed time.Time
	every   time.Duration
	now     func() time.Time
}

func (v *lineView) Update(p registry.Progress) {
	v.mu.Lock()
	defer v.mu.Unlock()
	prev, seen := v.last[p.Digest]
	v.last[p.Digest] = p.State
	if seen && prev == p.State && (p.State != registry.Downloading || v.now().Sub(v.printed) < v.every) {
		return
	}
	v.printed = v.now()
	fmt.Fprintf(v.w, "%s %s %s/%s\n", short(p.Digest), p.State, humanBytes(p.Done), humanBytes(p.Total))
}

func (v *lineView) Done() {}

// barView draws one bar per blob with mpb.
type barView struct {
	mu   sync.Mutex
	p    *mpb.Progress
	bars map[v1.Hash]*mpb.Bar

	// stateMu guards state apart from mu: mpb's render goroutine reads it
	// while Update may be blocked handing a value to that goroutine.
	stateMu sync.Mutex
	state   map[v1.Hash]registry.State
}

func newBarView(w io.Writer) *barView {
	return &barView{
		p:     mpb.New(mpb.WithOutput(w), mpb.WithWidth(40), mpb.WithRefreshRate(150*time.Millisecond)),
		bars:  map[v1.Hash]*mpb.Bar{},
		state: map[v1.Hash]registry.State{},
	}
}

func (v *barView) Update(p registry.Progress) {
	v.stateMu.Lock()
	v.state[p.Digest] = p.State
	v.stateMu.Unlock()

	v.mu.Lock()
	defer v.mu.Unlock()
	b, ok := v.bars[p.Digest]
	if !ok {
		dgst := p.Digest
		b = v.p.AddBar(p.Total,
			mpb.PrependDecorators(
				decor.Name(short(dgst), decor.WC{C: decor.DindentRight | decor.DextraSpace}),
				decor.Any(func(decor.Statistics) string { return v.stateOf(dgst) }, decor.WCSyncSpaceR),
			),
			mpb.AppendDecorators(decor.Counters(decor.SizeB1024(0), "% .1f / % .1f")),
		)
		v.bars[p.Digest] = b
	}
	b.SetCurrent(p.Done)
	if p.State == registry.Done || p.State == registry.Present {
		b.SetTotal(p.Total, true)
	}
}

func (v *barView) stateOf(h v1.Hash) string {
	v.stateMu.Lock()
	defer v.stateMu.Unlock()
	return v.state[h].String()
}

func (v *barView) Done() {
	v.mu.Lock()
	for _, b := range v.bars {
		if !b.Completed() {
			b.Abort(false)
		}
	}
	v.mu.Unlock()
	v.p.Wait()
}
