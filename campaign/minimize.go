package campaign

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/seamfuzz/seam/corpus"
	"github.com/seamfuzz/seam/internal/minimize"
)

// MinimizeConfig is one minimization of a corpus entry.
type MinimizeConfig struct {
	CorpusDir string
	// Specs and Variant run the entry when it names none of its own, or always with ForceSpecs
	// and ForceVariant.
	Specs                    []string
	Variant                  string
	ForceSpecs, ForceVariant bool
	Budget                   time.Duration // 0: no limit but ctx's
	Timeout                  time.Duration // per run
	MaxTries                 int           // 0: minimize's default
	Progress                 io.Writer     // optional: a line per try, rewritten in place
}

// Minimized is the outcome of a minimization.
type Minimized struct {
	Entry corpus.Entry // the original, which stays
	ID    string       // the smaller entry's id; empty when the original is already minimal
	Stats minimize.Stats
}

// Minimize shrinks the corpus entry target/id (target "": the entry id of whichever target has
// it) while its signature stays the same; the smaller input is added next to the original and
// the two are linked both ways.
func Minimize(ctx context.Context, cfg MinimizeConfig, target, id string) (Minimized, error) {
	st := corpus.Open(cfg.CorpusDir)
	find := st.Find
	if target != "" {
		find = func(id string) (corpus.Entry, []byte, error) { return st.Get(target, id) }
	}
	e, data, err := find(id)
	if err != nil {
		return Minimized{}, err
	}
	out := Minimized{Entry: e}
	if e.Signature == "" {
		return out, fmt.Errorf("%s/%s has no signature to keep: only findings are minimized", e.Target, e.ID)
	}
	j, err := contractEntryJob(e.Target, cfg.Specs, cfg.Variant, cfg.Timeout)
	if err != nil {
		return out, err
	}
	if len(e.Engines) > 0 && !cfg.ForceSpecs {
		j.specs = e.Engines
	}
	if e.Variant != "" && !cfg.ForceVariant {
		j.variant = e.Variant
	}
	if len(data) < 2 {
		return out, nil
	}
	if cfg.Budget > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, cfg.Budget)
		defer cancel()
	}
	tries := 0
	stillFails := func(ctx context.Context, in []byte) (bool, error) {
		tries++
		f, ok, _, err := j.one(ctx, in)
		if err != nil {
			return false, err
		}
		if cfg.Progress != nil {
			fmt.Fprintf(cfg.Progress, "\rminimizing %s/%s: try %d, %d bytes   ", e.Target, e.ID, tries, len(in))
		}
		return ok && f.Signature == e.Signature, nil
	}
	small, stats, err := minimize.Bytes(ctx, data, stillFails, minimize.Options{MaxTries: cfg.MaxTries})
	out.Stats = stats
	if cfg.Progress != nil {
		fmt.Fprintln(cfg.Progress)
	}
	if err != nil && len(small) == 0 {
		return out, err
	}
	if len(small) >= len(data) {
		return out, nil
	}
	m := e.Meta
	m.MinimizedFrom, m.MinimizedTo, m.FirstSeen = e.ID, nil, time.Time{}
	if out.ID, _, err = st.Add(e.Target, small, m); err != nil {
		return out, err
	}
	return out, st.Update(e.Target, e.ID, func(o *corpus.Meta) { o.MinimizedTo = appendUnique(o.MinimizedTo, out.ID) })
}
