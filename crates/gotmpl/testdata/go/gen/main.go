// Command gen is the Go oracle for the gotmpl differential corpus: it renders every case of
// cases.json with Go's text/template (no extra functions unless -sprig-shim) and writes
// expected.json.
//
// Usage: go run . [-sprig-shim | -refs] CASES.json EXPECTED.json
package main

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime"
	"strings"
	"text/template"
	"unicode/utf8"
)

// testCase is one entry of cases.json.
type testCase struct {
	Name     string          `json:"name"`
	Template string          `json:"template"`
	Data     json.RawMessage `json:"data"`
}

// result is one entry of expected.json: exactly one of Output, OutputHex and Error is set.
// An output that is not valid UTF-8 (a Go string may hold any bytes) goes to OutputHex,
// hex-encoded: a JSON string cannot carry those bytes (encoding/json writes U+FFFD for them).
type result struct {
	Name      string  `json:"name"`
	Output    *string `json:"output,omitempty"`
	OutputHex *string `json:"output_hex,omitempty"`
	Error     *string `json:"error,omitempty"`
}

// setOutput records out exactly: as text when it is UTF-8, as hex otherwise.
func (r *result) setOutput(out string) {
	if utf8.ValidString(out) {
		r.Output = &out
		return
	}
	h := hex.EncodeToString([]byte(out))
	r.OutputHex = &h
}

// decode turns JSON into interface{} the way Kubernetes decodes unstructured objects:
// integers become int64, other numbers float64, objects map[string]interface{}.
func decode(raw json.RawMessage) (interface{}, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v interface{}
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return convert(v), nil
}

func convert(v interface{}) interface{} {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		if f, err := x.Float64(); err == nil {
			return f
		}
		return x.String()
	case map[string]interface{}:
		for k, e := range x {
			x[k] = convert(e)
		}
		return x
	case []interface{}:
		for i, e := range x {
			x[i] = convert(e)
		}
		return x
	default:
		return v
	}
}

// render parses and executes one case; a panic is reported as an error so one bad case
// cannot stop the run.
func render(c testCase, funcs template.FuncMap) (out string, errMsg string, failed bool) {
	defer func() {
		if r := recover(); r != nil {
			out, errMsg, failed = "", fmt.Sprintf("PANIC: %v", r), true
		}
	}()
	data, err := decode(c.Data)
	if err != nil {
		return "", "BAD CASE DATA: " + err.Error(), true
	}
	t, err := template.New("t").Funcs(funcs).Parse(c.Template)
	if err != nil {
		return "", err.Error(), true
	}
	var buf strings.Builder
	if err := t.Execute(&buf, data); err != nil {
		return "", err.Error(), true
	}
	return buf.String(), "", false
}

func main() {
	shim := flag.Bool("sprig-shim", false, "provide the sprig functions of shim.go")
	refs := flag.Bool("refs", false, "render with refs.go's functions (the reference-semantics corpus)")
	check := flag.String("sprig-check", "", "check a sprig cases.json against check.go's transcriptions")
	gen := flag.Bool("sprig-gen", false, "render IN OUT with check.go's stdlib-backed sprig functions")
	flag.Parse()
	if *check != "" {
		os.Exit(checkSprig(*check))
	}
	if *gen {
		if flag.NArg() != 2 {
			fmt.Fprintln(os.Stderr, "usage: gen -sprig-gen IN.json OUT.json")
			os.Exit(2)
		}
		os.Exit(genSprig(flag.Arg(0), flag.Arg(1)))
	}
	if flag.NArg() != 2 {
		fmt.Fprintln(os.Stderr, "usage: gen [-sprig-shim] CASES.json EXPECTED.json")
		os.Exit(2)
	}
	funcs := template.FuncMap{}
	if *shim {
		funcs = sprigShim()
	}
	raw, err := os.ReadFile(flag.Arg(0))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var cases []testCase
	if err := json.Unmarshal(raw, &cases); err != nil {
		fmt.Fprintln(os.Stderr, "cases:", err)
		os.Exit(1)
	}
	seen := map[string]bool{}
	results := make([]result, 0, len(cases))
	for _, c := range cases {
		if seen[c.Name] {
			fmt.Fprintln(os.Stderr, "duplicate case name:", c.Name)
			os.Exit(1)
		}
		seen[c.Name] = true
		var out, msg string
		var failed bool
		if *refs {
			out, msg, failed = renderRefs(c)
		} else {
			out, msg, failed = render(c, funcs)
		}
		r := result{Name: c.Name}
		if failed {
			if strings.HasPrefix(msg, "PANIC: ") || strings.HasPrefix(msg, "BAD CASE DATA: ") {
				fmt.Fprintf(os.Stderr, "case %s: %s\n", c.Name, msg)
				os.Exit(1)
			}
			r.Error = &msg
		} else {
			r.setOutput(out)
		}
		results = append(results, r)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(results); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := os.WriteFile(flag.Arg(1), buf.Bytes(), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("%d cases (Go %s)\n", len(results), runtime.Version())
}
