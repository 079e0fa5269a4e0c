// Command gen computes Go's fmt output for every case in cases.json and writes expected.json.
//
// A case is {"fn": "sprintf"|"sprint"|"sprintln" (default sprintf), "format": "...",
// "args": [...]}. Arguments are decoded the way template values are modelled: JSON integers
// become int (uint64 when above the int64 range), other numbers float64, objects
// map[string]interface{}, arrays []interface{}. Special objects encode what JSON cannot:
// {"__float__": "NaN" | "+Inf" | "-Inf" | "-0" | "1.5"} is a float64 and
// {"__uint__": "7"} a uint64.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"unicode/utf8"
)

type testCase struct {
	Fn     string            `json:"fn,omitempty"`
	Format string            `json:"format"`
	Args   []json.RawMessage `json:"args"`
}

type result struct {
	Fn     string `json:"fn"`
	Format string `json:"format"`
	Want   string `json:"want"`
}

func convert(v interface{}) interface{} {
	switch x := v.(type) {
	case json.Number:
		s := string(x)
		if !strings.ContainsAny(s, ".eE") {
			if i, err := strconv.ParseInt(s, 10, 64); err == nil {
				return int(i)
			}
			if u, err := strconv.ParseUint(s, 10, 64); err == nil {
				return u
			}
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			fail(err)
		}
		return f
	case []interface{}:
		for i := range x {
			x[i] = convert(x[i])
		}
		return x
	case map[string]interface{}:
		if s, ok := x["__float__"].(string); ok && len(x) == 1 {
			f, err := strconv.ParseFloat(s, 64)
			if err != nil {
				fail(err)
			}
			return f
		}
		if s, ok := x["__uint__"].(string); ok && len(x) == 1 {
			u, err := strconv.ParseUint(s, 10, 64)
			if err != nil {
				fail(err)
			}
			return u
		}
		for k := range x {
			x[k] = convert(x[k])
		}
		return x
	}
	return v
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "gen:", err)
	os.Exit(1)
}

func main() {
	in, err := os.ReadFile(os.Args[1])
	if err != nil {
		fail(err)
	}
	var cases []testCase
	if err := json.Unmarshal(in, &cases); err != nil {
		fail(err)
	}
	results := make([]result, 0, len(cases))
	for i, c := range cases {
		args := make([]interface{}, len(c.Args))
		for j, raw := range c.Args {
			d := json.NewDecoder(bytes.NewReader(raw))
			d.UseNumber()
			var v interface{}
			if err := d.Decode(&v); err != nil {
				fail(fmt.Errorf("case %d arg %d: %v", i, j, err))
			}
			args[j] = convert(v)
		}
		fn := c.Fn
		if fn == "" {
			fn = "sprintf"
		}
		var out string
		switch fn {
		case "sprintf":
			out = fmt.Sprintf(c.Format, args...)
		case "sprint":
			out = fmt.Sprint(args...)
		case "sprintln":
			out = fmt.Sprintln(args...)
		default:
			fail(fmt.Errorf("case %d: unknown fn %q", i, fn))
		}
		if !utf8.ValidString(out) {
			fail(fmt.Errorf("case %d: output is not UTF-8: %q", i, out))
		}
		results = append(results, result{Fn: fn, Format: c.Format, Want: out})
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", " ")
	if err := enc.Encode(results); err != nil {
		fail(err)
	}
	if err := os.WriteFile(os.Args[2], buf.Bytes(), 0o644); err != nil {
		fail(err)
	}
}
