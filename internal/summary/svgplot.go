package summary

import (
	"fmt"
	"html"
	"io"
	"math"
	"strings"
)

// FitSlope is the least-squares slope of RSS against calls, in bytes per million calls: the
// memory-stability figure (a leak shows as a steady positive slope).
func FitSlope(s []RSSSample) float64 {
	if len(s) < 2 {
		return 0
	}
	var sx, sy, sxx, sxy float64
	for _, p := range s {
		x, y := float64(p.Calls), float64(p.RSSBytes)
		sx, sy, sxx, sxy = sx+x, sy+y, sxx+x*x, sxy+x*y
	}
	n := float64(len(s))
	den := n*sxx - sx*sx
	if den == 0 {
		return 0
	}
	return (n*sxy - sx*sy) / den * 1e6
}

var palette = []string{"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"}

// WriteRSSPlot draws RSS (MiB) over time (s) per engine as a self-contained SVG.
func WriteRSSPlot(w io.Writer, series []RSSSeries) error {
	const W, H, L, R, T, B = 720.0, 360.0, 70.0, 20.0, 40.0, 50.0
	maxX, minY, maxY := 1.0, math.Inf(1), math.Inf(-1)
	for _, s := range series {
		for _, p := range s.Samples {
			maxX = math.Max(maxX, p.Seconds)
			y := float64(p.RSSBytes) / (1 << 20)
			minY, maxY = math.Min(minY, y), math.Max(maxY, y)
		}
	}
	if math.IsInf(minY, 1) {
		minY, maxY = 0, 1
	}
	if maxY-minY < 1 {
		maxY = minY + 1
	}
	minY = math.Max(0, minY-(maxY-minY)*0.1)
	px := func(x float64) float64 { return L + x/maxX*(W-L-R) }
	py := func(y float64) float64 { return H - B - (y-minY)/(maxY-minY)*(H-T-B) }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" font-family="sans-serif" font-size="12">`+"\n", W, H, W, H)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(&b, `<text x="%.0f" y="22" font-size="15">RSS over time under seam stress</text>`+"\n", L)
	fmt.Fprintf(&b, `<line x1="%.0f" y1="%.0f" x2="%.0f" y2="%.0f" stroke="black"/>`+"\n", L, H-B, W-R, H-B)
	fmt.Fprintf(&b, `<line x1="%.0f" y1="%.0f" x2="%.0f" y2="%.0f" stroke="black"/>`+"\n", L, T, L, H-B)
	for i := 0; i <= 5; i++ {
		x := maxX * float64(i) / 5
		y := minY + (maxY-minY)*float64(i)/5
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.0f" x2="%.1f" y2="%.0f" stroke="black"/><text x="%.1f" y="%.0f" text-anchor="middle">%.0f</text>`+"\n", px(x), H-B, px(x), H-B+5, px(x), H-B+18, x)
		fmt.Fprintf(&b, `<line x1="%.0f" y1="%.1f" x2="%.0f" y2="%.1f" stroke="#ddd"/><text x="%.0f" y="%.1f" text-anchor="end">%.1f</text>`+"\n", L, py(y), W-R, py(y), L-6, py(y)+4, y)
	}
	fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" text-anchor="middle">seconds</text>`+"\n", (L+W-R)/2, H-12)
	fmt.Fprintf(&b, `<text x="16" y="%.0f" transform="rotate(-90 16 %.0f)" text-anchor="middle">RSS (MiB)</text>`+"\n", (T+H-B)/2, (T+H-B)/2)
	for i, s := range series {
		color := palette[i%len(palette)]
		var pts []string
		for _, p := range s.Samples {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", px(p.Seconds), py(float64(p.RSSBytes)/(1<<20))))
		}
		if len(pts) == 1 {
			pts = append(pts, pts[0])
		}
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>`+"\n", color, strings.Join(pts, " "))
		ly := T + 8 + float64(i)*16
		fmt.Fprintf(&b, `<rect x="%.0f" y="%.0f" width="12" height="3" fill="%s"/><text x="%.0f" y="%.0f">engine=%s  slope %+.0f B per million calls</text>`+"\n",
			L+12, ly, color, L+30, ly+5, html.EscapeString(s.Engine), s.SlopeBytesPerMillionCalls)
	}
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}
