package summary

import (
	"fmt"
	"io"
	"strings"
)

// WriteMarkdown writes summary.md: the verdict first, then steps, new findings with their
// reproduce commands, known ones, throughput and memory.
func WriteMarkdown(w io.Writer, r Run) error {
	var b strings.Builder
	switch r.Verdict {
	case "new-findings":
		fmt.Fprintf(&b, "# seam nightly: NEW FINDINGS (%d)\n\n", len(r.New))
	case "clean":
		b.WriteString("# seam nightly: clean\n\n")
	default:
		b.WriteString("# seam nightly: could not run\n\n")
	}
	fmt.Fprintf(&b, "Budget %s, took %s, %s, %s.\n\n", r.Budget, r.Finished.Sub(r.Started).Round(1e9), r.Started.UTC().Format("2006-01-02 15:04 UTC"), r.Host)
	if len(r.Boundaries) > 0 {
		var parts []string
		for _, bd := range r.Boundaries {
			parts = append(parts, fmt.Sprintf("**%s** (`%s`: %s)", bd.Name, bd.Contract, strings.Join(bd.Engines, ", ")))
		}
		fmt.Fprintf(&b, "Boundaries: %s.\n\n", strings.Join(parts, "; "))
	}
	b.WriteString("## Steps\n\n| step | result | duration | notes |\n|---|---|---|---|\n")
	for _, s := range r.Steps {
		note := s.Reason
		if note == "" {
			note = s.Detail
		}
		fmt.Fprintf(&b, "| %s | %s | %.0fs | %s |\n", s.Name, s.Status, s.Seconds, cell(note))
	}
	if len(r.New) > 0 {
		b.WriteString("\n## New findings\n\n| signature | engine | variant | target | location |\n|---|---|---|---|---|\n")
		for _, f := range r.New {
			fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s |\n", cell(f.Signature), f.Engine, f.Variant, f.Target, f.Location)
		}
		for _, f := range r.New {
			fmt.Fprintf(&b, "\n### %s\n\n%s\n\n```sh\n%s\n```\n", cell(f.Type), cell(f.Title), f.Reproduce)
			if f.Excerpt != "" {
				fmt.Fprintf(&b, "\n```\n%s\n```\n", head(f.Excerpt, 12))
			}
		}
	}
	if len(r.Known) > 0 {
		b.WriteString("\n## Known findings seen again\n\n| signature | engine | target | first seen |\n|---|---|---|---|\n")
		for _, f := range r.Known {
			fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", cell(f.Signature), f.Engine, f.Target, f.FirstSeen.Format("2006-01-02"))
		}
	}
	writeKnownCrashes(&b, r.KnownCrashes)
	if len(r.Throughput) > 0 {
		b.WriteString("\n## Throughput\n\n| target | engines | execs/s | last night | change |\n|---|---|---|---|---|\n")
		for _, t := range r.Throughput {
			prev, change := "-", "-"
			if t.PreviousExecsPerSec > 0 {
				prev = fmt.Sprintf("%.0f", t.PreviousExecsPerSec)
				change = fmt.Sprintf("%+.0f%%", -t.DropPercent)
				if t.DropPercent > 30 {
					change = fmt.Sprintf("⚠ dropped %.0f%%", t.DropPercent)
				}
			}
			fmt.Fprintf(&b, "| %s | %s | %.0f | %s | %s |\n", t.Target, t.Engine, t.ExecsPerSec, prev, change)
		}
	}
	if len(r.RSS) > 0 {
		b.WriteString("\n## Memory\n\n![RSS over time](rss.svg)\n\n")
		for _, s := range r.RSS {
			fmt.Fprintf(&b, "- engine=%s: RSS slope %+.0f bytes per million calls over %d samples\n", s.Engine, s.SlopeBytesPerMillionCalls, len(s.Samples))
		}
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "\n> %s\n", n)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func cell(s string) string {
	s = strings.ReplaceAll(s, "|", "\\|")
	return strings.ReplaceAll(s, "\n", " ")
}

func head(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[:n]
	}
	return strings.Join(lines, "\n")
}

// writeKnownCrashes lists the targets a known crash still blocks, with the signature to fix
// first, then the known crashes the workers fuzzed past.
func writeKnownCrashes(b *strings.Builder, ks []KnownCrash) {
	var blocking, absorbed []KnownCrash
	for _, k := range ks {
		if k.Blocks() {
			blocking = append(blocking, k)
		} else if k.Absorbed > 0 {
			absorbed = append(absorbed, k)
		}
	}
	if len(blocking) > 0 {
		b.WriteString("\n## Targets blocked by a known crash\n\nFix these: every hit ends go test -fuzz, and the target spends its budget restarting.\n\n")
		b.WriteString("| target | signature to fix | restarts | inputs fuzzed past | stopped early | reproduce |\n|---|---|---|---|---|---|\n")
		for _, k := range blocking {
			stopped := "no"
			if k.StoppedEarly {
				stopped = "yes"
			}
			fmt.Fprintf(b, "| %s | `%s` | %d | %d | %s | `%s` |\n", k.Target, cell(k.Signature), k.Restarts, k.Absorbed, stopped, cell(k.Reproduce))
		}
	}
	if len(absorbed) > 0 {
		b.WriteString("\n## Known crashes fuzzed past\n\nStill reachable, no longer costing fuzzing time (the workers drop the input and go on).\n\n")
		b.WriteString("| target | signature | inputs fuzzed past |\n|---|---|---|\n")
		for _, k := range absorbed {
			fmt.Fprintf(b, "| %s | `%s` | %d |\n", k.Target, cell(k.Signature), k.Absorbed)
		}
	}
}
