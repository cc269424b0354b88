package cli

import (
	"errors"
	"flag"

	"github.com/seamfuzz/seam/campaign"
	"github.com/seamfuzz/seam/internal/checkout"
	"github.com/seamfuzz/seam/report"
)

func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// setReportRoot makes report locations repository-relative.
func setReportRoot() {
	if root, err := checkout.Root(); err == nil {
		report.Root = root
	}
}

// asUsage makes a campaign's complaint about what it was asked a usage error, which fail
// answers with the pointer to -h.
func asUsage(err error) error {
	var ce campaign.ConfigError
	if errors.As(err, &ce) {
		return usageError{ce.Msg}
	}
	return err
}
