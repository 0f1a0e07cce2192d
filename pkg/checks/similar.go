package checks

import (
	"sort"
	"strings"
)

// SimilarNames returns the candidates that look like a mistyped target, most
// similar first: small edit distance, or one name containing the other.
func SimilarNames(target string, candidates []string, max int) []string {
	type scored struct {
		name  string
		score int
	}
	var out []scored
	limit := len(target) / 3
	if limit < 2 {
		limit = 2
	}
	for _, c := range candidates {
		if c == target {
			continue
		}
		d := EditDistance(target, c)
		if d <= limit || strings.Contains(c, target) || strings.Contains(target, c) {
			out = append(out, scored{c, d})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].score != out[j].score {
			return out[i].score < out[j].score
		}
		return out[i].name < out[j].name
	})
	names := make([]string, 0, len(out))
	for i, s := range out {
		if max > 0 && i == max {
			break
		}
		names = append(names, s.name)
	}
	return names
}

// EditDistance is the Levenshtein distance between a and b.
func EditDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
