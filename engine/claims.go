package engine

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// Thread claims, as the header words them.
const (
	ClaimAny        = "any"
	ClaimThreadSafe = "thread-safe"
	ClaimExclusive  = "exclusive"
	ClaimPerThread  = "per thread"
)

var (
	claimRe = regexp.MustCompile(`Threads:\s*([a-z -]+?)(?: on a shared handle| per handle)?\.`)
	protoRe = regexp.MustCompile(`(?m)^[a-z_0-9 ]+?\*?\s*\b((?:seam|pricing)_[a-z_]+)\(`)
)

// ThreadClaims reads every function's thread claim from the header: the "Threads: ..."
// sentence in the comment right above its prototype. The header is the contract, so seam
// threads checks what it says, not a list kept elsewhere.
func ThreadClaims() (map[string]string, error) {
	root, err := Root()
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(filepath.Join(root, "native", "pricing", "include", "seam_pricing.h"))
	if err != nil {
		return nil, err
	}
	text := string(b)
	claims := map[string]string{}
	for _, m := range protoRe.FindAllStringSubmatchIndex(text, -1) {
		name := text[m[2]:m[3]]
		// The comment block that ends right before this prototype.
		end := strings.LastIndex(text[:m[0]], "*/")
		start := strings.LastIndex(text[:max(end, 0)], "/*")
		if end < 0 || start < 0 || strings.TrimSpace(text[end+2:m[0]]) != "" {
			continue
		}
		c := claimRe.FindStringSubmatch(text[start:end])
		if c == nil {
			return nil, fmt.Errorf("seam_pricing.h: %s has no \"Threads: ...\" claim", name)
		}
		claims[name] = strings.TrimSpace(c[1])
	}
	if len(claims) != len(symbolNames) {
		return claims, fmt.Errorf("seam_pricing.h: found thread claims for %d functions, the contract has %d", len(claims), len(symbolNames))
	}
	return claims, nil
}
