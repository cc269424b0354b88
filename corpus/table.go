package corpus

import (
	"fmt"
	"io"
	"text/tabwriter"
)

// FormatTable prints entries as `seam corpus ls` shows them.
func FormatTable(w io.Writer, entries []Entry) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TARGET\tID\tSOURCE\tSIZE\tFIRST-SEEN\tSIGNATURE")
	for _, e := range entries {
		sig := e.Signature
		if sig == "" {
			sig = "-"
		}
		seen := "-"
		if !e.FirstSeen.IsZero() {
			seen = e.FirstSeen.Format("2006-01-02")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\n", e.Target, e.ID, e.Source, e.Size, seen, sig)
	}
	tw.Flush()
}
