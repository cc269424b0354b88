package contract

import (
	"bytes"
	"strings"

	"go.yaml.in/yaml/v3"
)

// A small builder of YAML node trees for Draft: the node API is what lets
// every guessed value carry its "# guessed: why" comment on its own line.

func mapNode(flow bool) *yaml.Node {
	n := &yaml.Node{Kind: yaml.MappingNode}
	if flow {
		n.Style = yaml.FlowStyle
	}
	return n
}

func str(v string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Value: v} }

func list(vs ...string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
	for _, v := range vs {
		n.Content = append(n.Content, str(v))
	}
	return n
}

// put adds key: value to the mapping m and returns value.
func put(m *yaml.Node, key string, value *yaml.Node) *yaml.Node {
	m.Content = append(m.Content, str(key), value)
	return value
}

// guess marks the entry of m whose key is key as guessed, for why. The
// comment goes where yaml.v3 prints it on the entry's first line: after a
// scalar or a flow collection, after the key of a block mapping.
func guess(m *yaml.Node, key, why string) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value != key {
			continue
		}
		n := m.Content[i+1]
		if n.Kind == yaml.MappingNode && n.Style != yaml.FlowStyle {
			n = m.Content[i]
		}
		if n.LineComment == "" {
			n.LineComment = "guessed: " + why
		} else {
			n.LineComment += "; " + why
		}
		return
	}
}

// encode writes the document with a two-space indent, as the reference
// contracts are written.
func encode(doc *yaml.Node) ([]byte, error) {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return []byte(strings.TrimLeft(b.String(), "\n")), nil
}
