package summary

import (
	"encoding/xml"
	"fmt"
	"io"
)

type junitSuites struct {
	XMLName xml.Name     `xml:"testsuites"`
	Suites  []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Time     string      `xml:"time,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Classname string        `xml:"classname,attr"`
	Name      string        `xml:"name,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitMessage `xml:"failure,omitempty"`
	Error     *junitMessage `xml:"error,omitempty"`
	Skipped   *junitMessage `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Body    string `xml:",chardata"`
}

// WriteJUnit writes junit.xml: one test case per step and per finding (new ones fail, known
// ones pass with a note).
func WriteJUnit(w io.Writer, r Run) error {
	s := junitSuite{Name: "seam-nightly", Time: fmt.Sprintf("%.1f", r.Finished.Sub(r.Started).Seconds())}
	for _, st := range r.Steps {
		c := junitCase{Classname: "seam.step", Name: st.Name, Time: fmt.Sprintf("%.1f", st.Seconds)}
		switch st.Status {
		case Failed:
			c.Failure = &junitMessage{Message: st.Reason, Type: "step-failed", Body: st.Detail}
			s.Failures++
		case Errored:
			c.Error = &junitMessage{Message: st.Reason, Type: "step-error", Body: st.Detail}
			s.Errors++
		case Skipped:
			c.Skipped = &junitMessage{Message: st.Reason}
			s.Skipped++
		}
		s.Cases = append(s.Cases, c)
	}
	for _, f := range r.New {
		s.Cases = append(s.Cases, junitCase{Classname: "seam.finding." + f.Target, Name: f.Signature, Time: "0",
			Failure: &junitMessage{Message: f.Title, Type: f.Type, Body: "reproduce: " + f.Reproduce + "\n\n" + f.Excerpt}})
		s.Failures++
	}
	for _, f := range r.Known {
		s.Cases = append(s.Cases, junitCase{Classname: "seam.finding." + f.Target, Name: f.Signature, Time: "0",
			SystemOut: "known finding seen again (first seen " + f.FirstSeen.Format("2006-01-02") + "); reproduce: " + f.Reproduce})
	}
	s.Tests = len(s.Cases)
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	return enc.Encode(junitSuites{Suites: []junitSuite{s}})
}
