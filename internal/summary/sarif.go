package summary

import (
	"encoding/json"
	"io"
	"regexp"
	"sort"
	"strings"

	"github.com/seamfuzz/seam/internal/finding"
)

// SARIF 2.1.0, the parts seam emits.
type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool    sarifTool     `json:"tool"`
	Results []sarifResult `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifRule struct {
	ID               string       `json:"id"`
	Name             string       `json:"name"`
	ShortDescription sarifMessage `json:"shortDescription"`
}

type sarifMessage struct {
	Text string `json:"text"`
}

type sarifResult struct {
	RuleID              string            `json:"ruleId"`
	RuleIndex           int               `json:"ruleIndex"`
	Level               string            `json:"level"`
	Message             sarifMessage      `json:"message"`
	Locations           []sarifLocation   `json:"locations,omitempty"`
	PartialFingerprints map[string]string `json:"partialFingerprints"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical `json:"physicalLocation"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           *sarifRegion  `json:"region,omitempty"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

type sarifRegion struct {
	StartLine int `json:"startLine"`
}

var ruleIDRe = regexp.MustCompile(`[^a-z0-9-]+`)

// RuleID is the stable SARIF rule id of a crash type: one rule per type.
func RuleID(typ string) string {
	id := ruleIDRe.ReplaceAllString(strings.ToLower(typ), "-")
	return "seam/" + strings.Trim(id, "-")
}

// WriteSARIF writes results.sarif. New findings are errors; known ones are notes, so code
// scanning keeps showing a bug that is still there without raising it as new.
func WriteSARIF(w io.Writer, r Run) error {
	type entry struct {
		f     finding.Finding
		level string
	}
	var all []entry
	for _, f := range r.New {
		all = append(all, entry{f, "error"})
	}
	for _, f := range r.Known {
		all = append(all, entry{f, "note"})
	}
	ruleIndex := map[string]int{}
	var rules []sarifRule
	types := map[string]bool{}
	for _, e := range all {
		types[e.f.Type] = true
	}
	var sorted []string
	for t := range types {
		sorted = append(sorted, t)
	}
	sort.Strings(sorted)
	for _, t := range sorted {
		id := RuleID(t)
		if _, ok := ruleIndex[id]; ok {
			continue
		}
		ruleIndex[id] = len(rules)
		rules = append(rules, sarifRule{ID: id, Name: t, ShortDescription: sarifMessage{Text: "seam finding: " + t}})
	}
	results := []sarifResult{}
	for _, e := range all {
		id := RuleID(e.f.Type)
		res := sarifResult{RuleID: id, RuleIndex: ruleIndex[id], Level: e.level,
			Message:             sarifMessage{Text: e.f.Title + "\nreproduce: " + e.f.Reproduce},
			PartialFingerprints: map[string]string{"seamSignature/v1": e.f.Signature}}
		if file, line := firstLocation(e.f); file != "" {
			loc := sarifLocation{PhysicalLocation: sarifPhysical{ArtifactLocation: sarifArtifact{URI: file}}}
			if line > 0 {
				loc.PhysicalLocation.Region = &sarifRegion{StartLine: line}
			}
			res.Locations = []sarifLocation{loc}
		}
		results = append(results, res)
	}
	log := sarifLog{Schema: "https://json.schemastore.org/sarif-2.1.0.json", Version: "2.1.0",
		Runs: []sarifRun{{Tool: sarifTool{Driver: sarifDriver{Name: "seam", InformationURI: "https://github.com/seamfuzz/seam", Rules: rules}}, Results: results}}}
	if log.Runs[0].Tool.Driver.Rules == nil {
		log.Runs[0].Tool.Driver.Rules = []sarifRule{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(log)
}

// firstLocation: the first frame with a repository-relative file.
func firstLocation(f finding.Finding) (string, int) {
	for _, fr := range f.Frames {
		if fr.File != "" && !strings.HasPrefix(fr.File, "/") {
			return fr.File, fr.Line
		}
	}
	if i := strings.LastIndex(f.Location, ":"); i > 0 && !strings.HasPrefix(f.Location, "/") {
		line := 0
		for _, c := range f.Location[i+1:] {
			if c < '0' || c > '9' {
				return f.Location, 0
			}
			line = line*10 + int(c-'0')
		}
		return f.Location[:i], line
	}
	return "", 0
}
