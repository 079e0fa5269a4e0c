// The reference-semantics oracle (-refs): Go's text/template with Go's own maps and slices and
// the sprig v3.3.0 dict and list functions those cases use, written here from sprig's and
// mergo's documented behaviour (the module proxy is not reachable from where this corpus is
// regenerated, so sprig itself cannot be imported). What the cases check, whether a change
// made through one path is seen through another, comes from Go's maps, not from these
// transcriptions: set/unset/merge change the map they are given, as sprig's do.

package main

import (
	"reflect"
	"sort"
	"strings"
	"text/template"
)

// refsFuncs is sprigShim plus the dict functions, deepCopy, until and Helm's include
// (executing the named template of t, the template being rendered).
func refsFuncs(t **template.Template) template.FuncMap {
	f := sprigShim()
	f["dict"] = func(v ...interface{}) map[string]interface{} {
		d := map[string]interface{}{}
		for i := 0; i < len(v); i += 2 {
			k := strval(v[i])
			if i+1 >= len(v) {
				d[k] = ""
				continue
			}
			d[k] = v[i+1]
		}
		return d
	}
	f["set"] = func(d map[string]interface{}, k string, v interface{}) map[string]interface{} {
		d[k] = v
		return d
	}
	f["unset"] = func(d map[string]interface{}, k string) map[string]interface{} {
		delete(d, k)
		return d
	}
	f["get"] = func(d map[string]interface{}, k string) interface{} {
		if v, ok := d[k]; ok {
			return v
		}
		return ""
	}
	f["hasKey"] = func(d map[string]interface{}, k string) bool {
		_, ok := d[k]
		return ok
	}
	f["pluck"] = func(k string, ds ...map[string]interface{}) []interface{} {
		out := []interface{}{}
		for _, d := range ds {
			if v, ok := d[k]; ok {
				out = append(out, v)
			}
		}
		return out
	}
	f["keys"] = func(ds ...map[string]interface{}) []string {
		out := []string{}
		for _, d := range ds {
			for k := range d {
				out = append(out, k)
			}
		}
		// sprig leaves Go's random map order; cases always sort it (sortAlpha).
		return out
	}
	f["sortAlpha"] = func(l interface{}) []string {
		v := reflect.ValueOf(l)
		out := make([]string, v.Len())
		for i := range out {
			out[i] = strval(v.Index(i).Interface())
		}
		sort.Strings(out)
		return out
	}
	f["merge"] = func(dst map[string]interface{}, srcs ...map[string]interface{}) interface{} {
		return mergeAll(dst, srcs, false)
	}
	f["mergeOverwrite"] = func(dst map[string]interface{}, srcs ...map[string]interface{}) interface{} {
		return mergeAll(dst, srcs, true)
	}
	f["deepCopy"] = deepCopy
	f["until"] = func(n int) []int {
		out := []int{}
		for i := 0; i < n; i++ {
			out = append(out, i)
		}
		return out
	}
	f["include"] = func(name string, data interface{}) (string, error) {
		var b strings.Builder
		err := (*t).ExecuteTemplate(&b, name, data)
		return b.String(), err
	}
	return f
}

// mergeAll is sprig's merge/mergeOverwrite: each source is merged into dst in place (a nil
// dst becomes a new map first) and dst is returned.
func mergeAll(dst map[string]interface{}, srcs []map[string]interface{}, overwrite bool) map[string]interface{} {
	if dst == nil {
		dst = map[string]interface{}{}
	}
	for _, src := range srcs {
		mergeInto(dst, src, overwrite)
	}
	return dst
}

// mergeInto follows mergo's deepMerge for map[string]interface{}: a nil source value is
// taken only with overwrite; a source map merges into a destination map in place (and
// replaces it only if it is still empty afterwards), never replaces a non-empty non-map, and
// otherwise is stored as is (the same map); a source list replaces a non-empty destination
// only with overwrite; any other value replaces a missing or empty destination, or any
// destination with overwrite.
func mergeInto(dst, src map[string]interface{}, overwrite bool) {
	for k, sv := range src {
		dv, present := dst[k]
		switch s := sv.(type) {
		case nil:
			if overwrite {
				dst[k] = nil
			}
			continue
		case map[string]interface{}:
			if d, ok := dv.(map[string]interface{}); ok {
				mergeInto(d, s, overwrite)
				if len(d) > 0 {
					continue
				}
			} else if present && !isEmpty(dv) {
				continue
			}
			dst[k] = sv
			continue
		case []interface{}:
			if present && !isEmpty(dv) {
				if overwrite {
					dst[k] = sv
				}
				continue
			}
		}
		if overwrite || !present || isEmpty(dv) {
			dst[k] = sv
		}
	}
}

// isEmpty is mergo's emptiness of a value held in an interface{}.
func isEmpty(v interface{}) bool {
	if v == nil {
		return true
	}
	r := reflect.ValueOf(v)
	switch r.Kind() {
	case reflect.Map, reflect.Slice, reflect.String, reflect.Array:
		return r.Len() == 0
	case reflect.Bool:
		return !r.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return r.Int() == 0
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return r.Uint() == 0
	case reflect.Float32, reflect.Float64:
		return r.Float() == 0
	}
	return false
}

// deepCopy is copystructure.Copy for the values templates hold: new maps and slices all the
// way down.
func deepCopy(v interface{}) interface{} {
	switch x := v.(type) {
	case map[string]interface{}:
		m := make(map[string]interface{}, len(x))
		for k, e := range x {
			m[k] = deepCopy(e)
		}
		return m
	case []interface{}:
		l := make([]interface{}, len(x))
		for i, e := range x {
			l[i] = deepCopy(e)
		}
		return l
	default:
		return v
	}
}

// renderRefs parses and executes one case with refsFuncs.
func renderRefs(c testCase) (out string, errMsg string, failed bool) {
	defer func() {
		if r := recover(); r != nil {
			out, errMsg, failed = "", "PANIC: "+strval(r), true
		}
	}()
	data, err := decode(c.Data)
	if err != nil {
		return "", "BAD CASE DATA: " + err.Error(), true
	}
	var t *template.Template
	t, err = template.New("t").Funcs(refsFuncs(&t)).Parse(c.Template)
	if err != nil {
		return "", err.Error(), true
	}
	var buf strings.Builder
	if err := t.Execute(&buf, data); err != nil {
		return "", err.Error(), true
	}
	return buf.String(), "", false
}
