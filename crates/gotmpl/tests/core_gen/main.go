// Command coregen runs template cases (JSON on stdin) through Go's text/template and prints
// each case's output or error as JSON, for gotmpl's core tests (see gen.py).
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"text/template"
)

type testCase struct {
	T   string          `json:"t"`
	D   json.RawMessage `json:"d"`
	Opt string          `json:"o"`
}

type result struct {
	Out string `json:"out"`
	Err string `json:"err"`
}

// conv turns json.Number into int64, or float64 when it is not an int64 (integers above
// int64 included), as Kubernetes' unstructured decoding and gotmpl's Value::from_json.
func conv(v interface{}) interface{} {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		f, _ := x.Float64()
		return f
	case map[string]interface{}:
		for k, e := range x {
			x[k] = conv(e)
		}
	case []interface{}:
		for i, e := range x {
			x[i] = conv(e)
		}
	}
	return v
}

func run(c testCase) (r result) {
	defer func() {
		if p := recover(); p != nil {
			r.Err = fmt.Sprintf("PANIC: %v", p)
		}
	}()
	var data interface{}
	if len(c.D) > 0 {
		d := json.NewDecoder(bytes.NewReader(c.D))
		d.UseNumber()
		d.Decode(&data)
		data = conv(data)
	}
	funcs := template.FuncMap{
		"fail":  func(s string) (string, error) { return "", fmt.Errorf("%s", s) },
		"upper": strings.ToUpper,
		"rep":   func(s string, n int) string { return strings.Repeat(s, n) },
		"rep64": func(s string, n int64) string { return strings.Repeat(s, int(n)) },
		"half":  func(f float64) float64 { return f / 2 },
	}
	t, err := template.New("t").Funcs(funcs).Parse(c.T)
	if err != nil {
		return result{Err: err.Error()}
	}
	if c.Opt != "" {
		t.Option(c.Opt)
	}
	var b strings.Builder
	if err := t.Execute(&b, data); err != nil {
		return result{Err: err.Error()}
	}
	return result{Out: b.String()}
}

func main() {
	var cases []testCase
	if err := json.NewDecoder(os.Stdin).Decode(&cases); err != nil {
		panic(err)
	}
	res := make([]result, 0, len(cases))
	for _, c := range cases {
		res = append(res, run(c))
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetEscapeHTML(false)
	enc.Encode(res)
}
