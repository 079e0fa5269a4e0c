//go:build ignore

// Generates regex_golden.jsonl: random RE2 patterns and inputs with Go's regexp results
// (compile error, MatchString, FindString, FindAllString n=-1 and n=2, ReplaceAllString with a
// $-template, ReplaceAllLiteralString, Split n=-1 and n=2), for tests/sprig_text.rs.
// Run: go run regex_gen.go > regex_golden.jsonl
package main

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"regexp"
	"strings"
)

var r = rand.New(rand.NewSource(5))

var atoms = []string{
	"a", "b", "c", "x", ".", "\\d", "\\D", "\\w", "\\W", "\\s", "\\S", "\\b", "\\B", "^", "$",
	"[abc]", "[^a]", "[a-c]", "[\\d]", "[\\w-]", "[[:alpha:]]", "[[:^digit:]]", "\\pL", "\\p{Greek}",
	"é", "日", " ", "\\.", "\\*", "{", "}", "a{", "[]a]", "[&&]", "[~~]", "[[]", "\\Qa.b\\E", "\\x41",
	"\\101", "(?i)a", "(?s).", "(?m)^", "(?U)a+", "\\A", "\\z", "[\\s]", "[^\\S]", "\\n",
}

var reps = []string{"", "", "", "", "", "", "", "*", "+", "?", "*?", "+?", "??", "{2}", "{1,}", "{0,2}", "{1,2}?", "**", "{2}{3}"}

func pat(depth int) string {
	var b strings.Builder
	for i := r.Intn(3) + 1; i > 0; i-- {
		switch k := r.Intn(10); {
		case k < 6 || depth > 2:
			b.WriteString(atoms[r.Intn(len(atoms))])
		case k < 8:
			b.WriteString("(" + pat(depth+1) + ")")
		case k < 9:
			b.WriteString("(?P<n" + fmt.Sprint(r.Intn(2)) + ">" + pat(depth+1) + ")")
		default:
			b.WriteString("(?:" + pat(depth+1) + "|" + pat(depth+1) + ")")
		}
		b.WriteString(reps[r.Intn(len(reps))])
	}
	return b.String()
}

func input() string {
	chars := []string{"a", "b", "c", "x", "A", "B", "1", "2", " ", "\n", ".", "*", "é", "日", "α", "_", "-", "{", "}", "[", "]", "&", "~"}
	var b strings.Builder
	for i := r.Intn(12); i > 0; i-- {
		b.WriteString(chars[r.Intn(len(chars))])
	}
	return b.String()
}

func main() {
	for i := 0; i < 1000; i++ {
		p, s := pat(0), input()
		repl := []string{"<$0>", "[$1]", "${n0}-", "$$", "$1x", "${1}x", "$"}[r.Intn(7)]
		out := map[string]interface{}{"pattern": p, "input": s, "repl": repl}
		re, err := regexp.Compile(p)
		if err != nil {
			out["error"] = err.Error()
		} else {
			out["match"] = re.MatchString(s)
			out["find"] = re.FindString(s)
			out["all"] = re.FindAllString(s, -1)
			out["all2"] = re.FindAllString(s, 2)
			out["replace"] = re.ReplaceAllString(s, repl)
			out["literal"] = re.ReplaceAllLiteralString(s, repl)
			out["split"] = re.Split(s, -1)
			out["split2"] = re.Split(s, 2)
		}
		line, _ := json.Marshal(out)
		fmt.Println(string(line))
	}
}
