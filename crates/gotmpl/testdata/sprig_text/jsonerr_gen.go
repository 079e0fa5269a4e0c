//go:build ignore

// Generates json_errors.jsonl: mutated JSON documents and what Go's json.Unmarshal into
// interface{} says about them ("" when they decode), for tests/sprig_text.rs (mustFromJson).
// Run: go run jsonerr_gen.go > json_errors.jsonl
package main

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"unicode/utf8"
)

var r = rand.New(rand.NewSource(11))

var seeds = []string{
	`{"a": [1, 2.5, -3e2, true, false, null], "b": {"c": "x\"\\\/\b\f\n\r\t\u00e9"}}`,
	`[{"k": 1}, [], {}, "s", 0, -0.5e-3]`,
	`"plain"`, `123`, `{"x":{"y":{"z":[null]}}}`, `[1e400, 2]`, `{"dup": 1, "dup": 2}`,
}

const junk = "{}[],:\"\\0123456789-+.eEtrufalsn x\t\né\x01}"

func main() {
	for i := 0; i < 600; i++ {
		s := []byte(seeds[r.Intn(len(seeds))])
		for k := r.Intn(3) + 1; k > 0 && len(s) > 0; k-- {
			p := r.Intn(len(s))
			switch r.Intn(4) {
			case 0:
				s = s[:p]
			case 1:
				s = append(s[:p], s[p+1:]...)
			case 2:
				s = append(s[:p], append([]byte{junk[r.Intn(len(junk))]}, s[p:]...)...)
			default:
				s[p] = junk[r.Intn(len(junk))]
			}
		}
		if !utf8.Valid(s) {
			continue
		}
		var v interface{}
		msg := ""
		if err := json.Unmarshal(s, &v); err != nil {
			msg = err.Error()
		}
		line, _ := json.Marshal(map[string]string{"input": string(s), "error": msg})
		fmt.Println(string(line))
	}
}
