package contract

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// ReadDict reads a libFuzzer dictionary (name="value" lines with \xNN escapes, # comments), so
// one file serves a parameter's examples in go test mode and libFuzzer's -dict= alike.
func ReadDict(path string) ([][]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out [][]byte
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		q := strings.IndexByte(line, '"')
		if q < 0 {
			return nil, fmt.Errorf("%s:%d: want name=\"value\"", path, i+1)
		}
		v, err := strconv.Unquote(line[q:])
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %v", path, i+1, err)
		}
		out = append(out, []byte(v))
	}
	return out, nil
}
