package printers

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"

	yaml "go.yaml.in/yaml/v3"
)

// marshalYAML encodes v as YAML with its fields in the order JSON has them,
// the order of the structs (verdict before checks), where sigs.k8s.io/yaml
// sorts the keys. The JSON is read as a YAML node, which keeps the order,
// and written in block style: sequences at their key's column, as kubectl
// writes them, and no line folded.
func marshalYAML(v any) ([]byte, error) {
	j, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(j, &doc); err != nil {
		return nil, fmt.Errorf("reading the JSON as YAML: %w", err)
	}
	blockStyle(&doc)
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	enc.CompactSeqIndent()
	if err := enc.Encode(&doc); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// blockStyle drops the styles the JSON gave n and its children (flow
// mappings and sequences, double-quoted strings): the encoder quotes only
// the strings that need it (one that reads as a number, "true", ...). It
// quotes too the strings YAML 1.1 readers (sigs.k8s.io/yaml, PyYAML) take
// for a boolean or a number, which YAML 1.2 does not (yes, off, 1:30).
func blockStyle(n *yaml.Node) {
	n.Style = 0
	if n.Kind == yaml.ScalarNode && n.Tag == "!!str" && yaml11NotString(n.Value) {
		n.Style = yaml.DoubleQuotedStyle
	}
	for _, c := range n.Content {
		blockStyle(c)
	}
}

// base60 is a YAML 1.1 sexagesimal number (190:20:30).
var base60 = regexp.MustCompile(`^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$`)

func yaml11NotString(s string) bool {
	switch s {
	case "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO",
		"on", "On", "ON", "off", "Off", "OFF", "=":
		return true
	}
	return base60.MatchString(s)
}
