package covbridge

import (
	"bytes"
	"encoding/binary"
	"slices"
	"sort"
	"strconv"
)

// Patches derives new inputs from data by input-to-state correspondence (Redqueen; AFL++'s
// cmplog): when native code compared a value it read from the input with another value, the
// input most likely holds the first operand verbatim, and putting the second one there takes
// the comparison's other branch. Each operand is looked for as it sits in memory, byte-swapped
// (integers), and as decimal text (parsers compare numbers they read from text; for those the
// neighbours of the other value are tried too, the exact limit and one past). Compares from
// call sites hit fewest times come first: a parser's loop compares at one site hundreds of
// times, the guard of a new branch usually once. At most max patches, no duplicates, none
// equal to data.
func Patches(data []byte, cmps []Compare, max int) [][]byte {
	hits := map[uint64]int{}
	for _, c := range cmps {
		hits[c.Site]++
	}
	order := make([]int, len(cmps))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(i, j int) bool { return hits[cmps[order[i]].Site] < hits[cmps[order[j]].Site] })

	seen := map[string]bool{string(data): true}
	var out [][]byte
	add := func(p []byte) bool {
		if !seen[string(p)] {
			seen[string(p)] = true
			out = append(out, p)
		}
		return len(out) >= max
	}
	donePairs := map[string]bool{}
	for _, i := range order {
		c := cmps[i]
		key := string(c.A) + "\x00" + string(c.B)
		if donePairs[key] {
			continue
		}
		donePairs[key] = true
		for _, r := range replacements(c) {
			for _, p := range substitute(data, r.from, r.to, r.whole) {
				if add(p) {
					return out
				}
			}
		}
	}
	return out
}

type replacement struct {
	from, to []byte
	whole    bool // from must not be part of a longer run of digits
}

func replacements(c Compare) []replacement {
	var rs []replacement
	dirs := [][2][]byte{{c.B, c.A}, {c.A, c.B}}
	if c.Const {
		dirs = dirs[:1]
	}
	for _, dir := range dirs {
		from, to := dir[0], dir[1]
		rs = append(rs, replacement{from: from, to: to})
		if !c.Int {
			continue
		}
		if len(from) > 1 {
			rs = append(rs, replacement{from: reversed(from), to: reversed(to)})
		}
		f, t := littleEndian(from), littleEndian(to)
		if f < 10 {
			continue // a one-digit number matches everywhere
		}
		for _, v := range []uint64{t, t + 1, t - 1} {
			rs = append(rs, replacement{from: []byte(strconv.FormatUint(f, 10)), to: []byte(strconv.FormatUint(v, 10)), whole: true})
		}
	}
	return rs
}

// substitute returns data with each of the first few occurrences of from replaced by to.
func substitute(data, from, to []byte, whole bool) [][]byte {
	if len(from) == 0 || bytes.Equal(from, to) {
		return nil
	}
	limit := 4
	if len(from) == 1 {
		limit = 8 // a single byte needs more tries to land on the one the code read
	}
	var out [][]byte
	for off := 0; off < len(data) && len(out) < limit; {
		i := bytes.Index(data[off:], from)
		if i < 0 {
			break
		}
		i += off
		off = i + 1
		end := i + len(from)
		if whole && ((i > 0 && isDigit(data[i-1])) || (end < len(data) && isDigit(data[end]))) {
			continue
		}
		p := make([]byte, 0, len(data)-len(from)+len(to))
		p = append(append(append(p, data[:i]...), to...), data[end:]...)
		out = append(out, p)
	}
	return out
}

func isDigit(b byte) bool { return b >= '0' && b <= '9' }

func reversed(b []byte) []byte {
	r := slices.Clone(b)
	slices.Reverse(r)
	return r
}

func littleEndian(b []byte) uint64 {
	var full [8]byte
	copy(full[:], b)
	return binary.LittleEndian.Uint64(full[:])
}
