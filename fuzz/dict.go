package fuzz

// Only the pricing stress workload (workload.go, stressop/stressbatch) uses this file: it goes
// when that workload moves to package loadgen.

import (
	_ "embed"
	"strconv"
	"strings"
)

//go:embed rules.dict
var rulesDict string

// dictTokens parses rules.dict (libFuzzer format: name="value" with \xNN escapes).
func dictTokens(text string) [][]byte {
	var out [][]byte
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.IndexByte(line, '"')
		if i < 0 {
			continue
		}
		v, err := strconv.Unquote(line[i:])
		if err != nil {
			continue
		}
		out = append(out, []byte(v))
	}
	return out
}

// ruleFragments are the rule line shapes plus the dictionary's tokens.
var ruleFragments = append(append([][]byte{}, ruleLines...), dictTokens(rulesDict)...)
