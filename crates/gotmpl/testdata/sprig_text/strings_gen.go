//go:build ignore

// Generates strings_golden.jsonl: random inputs through the Go standard-library functions
// sprig maps its string and path functions to (strings.ToUpper, strings.Title, strings.Trim,
// strings.SplitN, fmt %q, path.Clean, ...), for tests/sprig_text.rs.
// Run: go run strings_gen.go > strings_golden.jsonl
package main

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"path"
	"strings"
)

var r = rand.New(rand.NewSource(3))

var alphabet = []string{"a", "B", "z", " ", "  ", "\t", "\n", "\u00a0", "\u0085", "\u2028", "\u3000", "ß", "İ", "ı",
	"ǆ", "ǅ", "ა", "ᾀ", "ﬀ", "é", "É", "日", "😀", "-", "_", ".", "/", "$", "'", "\"", "\\", "1", "٣", "\x01", "\x7f",
	"\u200b", "\ufeff", "Σ", "ς", "K", "ſ"}

func str(max int) string {
	var b strings.Builder
	for i := r.Intn(max); i > 0; i-- {
		b.WriteString(alphabet[r.Intn(len(alphabet))])
	}
	return b.String()
}

func pathStr() string {
	parts := []string{"a", "b", ".", "..", "", "x.y", ".z", "/"}
	var b strings.Builder
	if r.Intn(2) == 0 {
		b.WriteString("/")
	}
	for i := r.Intn(6); i > 0; i-- {
		b.WriteString(parts[r.Intn(len(parts))])
		if r.Intn(3) > 0 {
			b.WriteString("/")
		}
	}
	return b.String()
}

func main() {
	for i := 0; i < 500; i++ {
		s, t, u := str(8), str(3), str(3)
		n := r.Intn(5) - 1
		p := pathStr()
		out := map[string]interface{}{
			"s": s, "t": t, "u": u, "n": n, "p": p,
			"upper": strings.ToUpper(s), "lower": strings.ToLower(s), "title": strings.Title(s),
			"trim": strings.TrimSpace(s), "trimAll": strings.Trim(s, t),
			"trimPrefix": strings.TrimPrefix(s, t), "trimSuffix": strings.TrimSuffix(s, t),
			"contains": strings.Contains(s, t), "hasPrefix": strings.HasPrefix(s, t),
			"hasSuffix": strings.HasSuffix(s, t), "replace": strings.Replace(s, t, u, -1),
			"splitList": strings.Split(s, t), "splitn": strings.SplitN(s, t, n),
			"quote": fmt.Sprintf("%q", s), "indent": strings.Repeat(" ", n+1) + strings.Replace(s, "\n", "\n"+strings.Repeat(" ", n+1), -1),
			"base": path.Base(p), "dir": path.Dir(p), "clean": path.Clean(p), "ext": path.Ext(p), "isAbs": path.IsAbs(p),
		}
		line, _ := json.Marshal(out)
		fmt.Println(string(line))
	}
}
