// -sprig-check mode: renders the cases of testdata/sprig/cases.json whose functions all have a
// stdlib transcription here (plus shim.go) and reports where Go disagrees with the
// hand-transcribed table. A consistency check for the table, not an oracle for sprig.
package main

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/adler32"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"text/template"
	"text/template/parse"
	"time"
)

func checkFuncs() template.FuncMap {
	m := sprigShim()
	add := template.FuncMap{
		"base": path.Base, "dir": path.Dir, "clean": path.Clean, "ext": path.Ext, "isAbs": path.IsAbs,
		"osBase": filepath.Base, "osDir": filepath.Dir, "osClean": filepath.Clean, "osExt": filepath.Ext,
		"osIsAbs": filepath.IsAbs,
		"b64dec": func(v string) string {
			d, err := base64.StdEncoding.DecodeString(v)
			if err != nil {
				return err.Error()
			}
			return string(d)
		},
		"b32enc": func(v string) string { return base32.StdEncoding.EncodeToString([]byte(v)) },
		"b32dec": func(v string) string {
			d, err := base32.StdEncoding.DecodeString(v)
			if err != nil {
				return err.Error()
			}
			return string(d)
		},
		"sha1sum":    func(s string) string { h := sha1.Sum([]byte(s)); return hex.EncodeToString(h[:]) },
		"sha256sum":  func(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) },
		"adler32sum": func(s string) string { return fmt.Sprintf("%d", adler32.Checksum([]byte(s))) },
		"upper":      strings.ToUpper,
		"title":      strings.Title, //nolint:staticcheck // sprig uses it
		"indent":     indent,
		"nindent":    func(n int, v string) string { return "\n" + indent(n, v) },
		"trimAll":    func(a, b string) string { return strings.Trim(b, a) },
		"contains":   func(sub, s string) bool { return strings.Contains(s, sub) },
		"hasPrefix":  func(sub, s string) bool { return strings.HasPrefix(s, sub) },
		"hasSuffix":  func(sub, s string) bool { return strings.HasSuffix(s, sub) },
		"replace":    func(o, n, s string) string { return strings.Replace(s, o, n, -1) },
		"repeat":     func(c int, s string) string { return strings.Repeat(s, c) },
		"toPrettyJson": func(v interface{}) string {
			o, _ := json.MarshalIndent(v, "", "  ")
			return string(o)
		},
		"toRawJson": func(v interface{}) string {
			buf := new(bytes.Buffer)
			enc := json.NewEncoder(buf)
			enc.SetEscapeHTML(false)
			_ = enc.Encode(&v)
			return strings.TrimSuffix(buf.String(), "\n")
		},
		"fromJson": func(v string) interface{} {
			var o interface{}
			_ = json.Unmarshal([]byte(v), &o)
			return o
		},
		// regexMatch treats a pattern that does not compile as a non-match; the others panic
		// through MustCompile (sprig v3 regex.go).
		"regexMatch": func(r, s string) bool {
			match, _ := regexp.MatchString(r, s)
			return match
		},
		"regexFindAll":    func(r, s string, n int) []string { return regexp.MustCompile(r).FindAllString(s, n) },
		"regexFind":       func(r, s string) string { return regexp.MustCompile(r).FindString(s) },
		"regexReplaceAll": func(r, s, repl string) string { return regexp.MustCompile(r).ReplaceAllString(s, repl) },
		"regexReplaceAllLiteral": func(r, s, repl string) string {
			return regexp.MustCompile(r).ReplaceAllLiteralString(s, repl)
		},
		"regexSplit":     func(r, s string, n int) []string { return regexp.MustCompile(r).Split(s, n) },
		"regexQuoteMeta": regexp.QuoteMeta,
		"dateInZone":     dateInZone,
		"htmlDateInZone": func(d interface{}, z string) string { return dateInZone("2006-01-02", d, z) },
		"toDate": func(f, s string) time.Time {
			t, _ := time.ParseInLocation(f, s, time.Local)
			return t
		},
		"unixEpoch": func(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) },
		"dateModify": func(f string, t time.Time) time.Time {
			d, err := time.ParseDuration(f)
			if err != nil {
				return t
			}
			return t.Add(d)
		},
		"kindOf":   func(v interface{}) string { return reflect.ValueOf(v).Kind().String() },
		"typeOf":   func(v interface{}) string { return fmt.Sprintf("%T", v) },
		"toString": strval,
		// sprig v3 strings.go: byte-wise trunc and substr, cat/squote through fmt, split/splitn
		// into "_N" keys (written from sprig's documented behaviour).
		"trunc": func(c int, s string) string {
			switch {
			case c < 0 && len(s)+c > 0:
				return s[len(s)+c:]
			case c >= 0 && len(s) > c:
				return s[:c]
			}
			return s
		},
		"substr": func(start, end int, s string) string {
			switch {
			case start < 0:
				return s[:end]
			case end < 0 || end > len(s):
				return s[start:]
			}
			return s[start:end]
		},
		"cat": func(v ...interface{}) string {
			var parts []string
			for _, e := range v {
				if e != nil {
					parts = append(parts, fmt.Sprintf("%v", e))
				}
			}
			return strings.Join(parts, " ")
		},
		"squote": func(v ...interface{}) string {
			var parts []string
			for _, e := range v {
				if e != nil {
					parts = append(parts, fmt.Sprintf("'%v'", e))
				}
			}
			return strings.Join(parts, " ")
		},
		"split":  func(sep, s string) map[string]string { return underscored(strings.Split(s, sep)) },
		"splitn": func(sep string, n int, s string) map[string]string { return underscored(strings.SplitN(s, sep, n)) },
	}
	for k, v := range add {
		m[k] = v
	}
	return m
}

// underscored is sprig's split result: part i under the key "_i".
func underscored(parts []string) map[string]string {
	m := make(map[string]string, len(parts))
	for i, p := range parts {
		m["_"+strconv.Itoa(i)] = p
	}
	return m
}

func indent(spaces int, v string) string {
	pad := strings.Repeat(" ", spaces)
	return pad + strings.Replace(v, "\n", "\n"+pad, -1)
}

func dateInZone(fmtS string, date interface{}, zone string) string {
	var t time.Time
	switch date := date.(type) {
	default:
		t = time.Now()
	case time.Time:
		t = date
	case int64:
		t = time.Unix(date, 0)
	case int:
		t = time.Unix(int64(date), 0)
	}
	loc, err := time.LoadLocation(zone)
	if err != nil {
		loc, _ = time.LoadLocation("UTC")
	}
	return t.In(loc).Format(fmtS)
}

// usesOnly reports whether every function the template calls is in funcs or built in.
func usesOnly(tree *parse.Tree, funcs template.FuncMap) bool {
	ok := true
	var walk func(n parse.Node)
	walk = func(n parse.Node) {
		switch n := n.(type) {
		case *parse.ListNode:
			if n != nil {
				for _, c := range n.Nodes {
					walk(c)
				}
			}
		case *parse.ActionNode:
			walk(n.Pipe)
		case *parse.PipeNode:
			if n != nil {
				for _, c := range n.Cmds {
					walk(c)
				}
			}
		case *parse.CommandNode:
			for _, a := range n.Args {
				walk(a)
			}
		case *parse.IdentifierNode:
			if _, found := funcs[n.Ident]; !found && !builtin[n.Ident] {
				ok = false
			}
		case *parse.IfNode:
			walk(n.Pipe)
			walk(n.List)
			walk(n.ElseList)
		case *parse.RangeNode:
			walk(n.Pipe)
			walk(n.List)
			walk(n.ElseList)
		case *parse.WithNode:
			walk(n.Pipe)
			walk(n.List)
			walk(n.ElseList)
		case *parse.ChainNode:
			walk(n.Node)
		}
	}
	walk(tree.Root)
	return ok
}

var builtin = map[string]bool{"and": true, "or": true, "not": true, "len": true, "index": true, "slice": true,
	"print": true, "printf": true, "println": true, "html": true, "js": true, "urlquery": true, "eq": true,
	"ne": true, "lt": true, "le": true, "gt": true, "ge": true, "call": true}

type sprigCase struct {
	Name          string          `json:"name"`
	Template      string          `json:"template"`
	Data          json.RawMessage `json:"data"`
	Output        *string         `json:"output"`
	Error         *string         `json:"error"`
	ErrorContains *string         `json:"error_contains"`
}

// genSprig renders IN (cases without expectations) with checkFuncs and writes OUT with Go's
// output or error per case, like the text/template oracle does.
func genSprig(in, out string) int {
	raw, err := os.ReadFile(in)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	var cases []testCase
	if err := json.Unmarshal(raw, &cases); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	funcs := checkFuncs()
	results := make([]result, 0, len(cases))
	for _, c := range cases {
		o, msg, failed := render(c, funcs)
		r := result{Name: c.Name}
		if failed {
			if strings.HasPrefix(msg, "PANIC: ") || strings.HasPrefix(msg, "BAD CASE DATA: ") {
				fmt.Fprintf(os.Stderr, "case %s: %s\n", c.Name, msg)
				return 1
			}
			r.Error = &msg
		} else {
			r.setOutput(o)
		}
		results = append(results, r)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(results); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Printf("%d stdlib-backed sprig cases rendered by Go\n", len(results))
	return 0
}

func checkSprig(file string) int {
	raw, err := os.ReadFile(file)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	var cases []sprigCase
	if err := json.Unmarshal(raw, &cases); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	funcs := checkFuncs()
	// Parse with every name known so the tree can be inspected, then check coverage.
	all := template.FuncMap{}
	for k, v := range funcs {
		all[k] = v
	}
	checked, bad := 0, 0
	for _, c := range cases {
		probe, err := template.New("t").Funcs(all).Parse(c.Template)
		if err != nil || !usesOnly(probe.Tree, funcs) {
			continue
		}
		checked++
		out, msg, failed := render(testCase{Name: c.Name, Template: c.Template, Data: c.Data}, funcs)
		switch {
		case c.Output != nil && (failed || out != *c.Output):
			bad++
			fmt.Printf("%s: table %q, Go %q %s\n", c.Name, *c.Output, out, msg)
		case c.Error != nil && msg != *c.Error:
			bad++
			fmt.Printf("%s: table error %q, Go %q %q\n", c.Name, *c.Error, out, msg)
		case c.ErrorContains != nil && !strings.Contains(msg, *c.ErrorContains):
			bad++
			fmt.Printf("%s: table error containing %q, Go %q %q\n", c.Name, *c.ErrorContains, out, msg)
		}
	}
	fmt.Printf("checked %d of %d sprig cases against Go transcriptions: %d disagree\n", checked, len(cases), bad)
	if bad > 0 {
		return 1
	}
	return 0
}
