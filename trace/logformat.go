package trace

import "sync"

// LogFormat turns one record of a boundary's own production log (a request as the service
// logs it) into a call trace of the boundary's contract, as JSON. ok is false when line is not
// in this format (the next format is tried); err is a record in this format that is malformed,
// with what to fix.
type LogFormat func(line []byte) (traceJSON []byte, ok bool, err error)

var (
	logFormatsMu sync.Mutex
	logFormats   = map[string][]LogFormat{}
)

// RegisterLogFormat adds a log format of boundary (a contract's spec plug-in registers its
// service's format in init), so `seam repro` replays that log as it replays traces.
func RegisterLogFormat(boundary string, f LogFormat) {
	logFormatsMu.Lock()
	defer logFormatsMu.Unlock()
	logFormats[boundary] = append(logFormats[boundary], f)
}

// FromLog converts one log record of boundary into a call trace with the first of its
// registered formats that recognises it; ok is false when none does.
func FromLog(boundary string, line []byte) (traceJSON []byte, ok bool, err error) {
	logFormatsMu.Lock()
	fs := append([]LogFormat(nil), logFormats[boundary]...)
	logFormatsMu.Unlock()
	for _, f := range fs {
		if out, ok, err := f(line); ok || err != nil {
			return out, ok, err
		}
	}
	return nil, false, nil
}
