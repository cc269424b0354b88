package boundary

// Memory views the native memory the call reads and writes: its input blocks, then its
// outputs' spans.
func (p *Prepared) Memory() [][]byte {
	out := make([][]byte, 0, len(p.c.blocks)+len(p.region))
	for _, b := range p.c.blocks {
		if b.Ptr != nil && b.Len > 0 {
			out = append(out, b.Bytes())
		}
	}
	for _, r := range p.region {
		out = append(out, r.Span)
	}
	return out
}
