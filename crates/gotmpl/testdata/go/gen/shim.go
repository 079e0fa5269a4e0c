// The few deterministic sprig v3 functions that the ConnectorClass examples use,
// transcribed from sprig's source (url.go, strings.go, list.go, functions.go) so the class
// expectations can come from Go too. Only used with -sprig-shim; not sprig itself.
package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"reflect"
	"strings"
	"text/template"
)

func sprigShim() template.FuncMap {
	return template.FuncMap{
		"urlParse":   urlParse,
		"trimSuffix": func(a, b string) string { return strings.TrimSuffix(b, a) },
		"trimPrefix": func(a, b string) string { return strings.TrimPrefix(b, a) },
		"b64enc":     func(v string) string { return base64.StdEncoding.EncodeToString([]byte(v)) },
		"splitList":  func(sep, orig string) []string { return strings.Split(orig, sep) },
		"first":      first,
		"last":       last,
		"list":       func(v ...interface{}) []interface{} { return v },
		"append":     push,
		"join":       func(sep string, v interface{}) string { return strings.Join(strslice(v), sep) },
		"quote":      quote,
		"toJson":     toJSON,
		"lower":      strings.ToLower,
		"trim":       strings.TrimSpace,
	}
}

func urlParse(v string) map[string]interface{} {
	dict := map[string]interface{}{}
	parsedURL, err := url.Parse(v)
	if err != nil {
		panic(fmt.Sprintf("unable to parse url: %s", err))
	}
	dict["scheme"] = parsedURL.Scheme
	dict["host"] = parsedURL.Host
	dict["hostname"] = parsedURL.Hostname()
	dict["path"] = parsedURL.Path
	dict["query"] = parsedURL.RawQuery
	dict["opaque"] = parsedURL.Opaque
	dict["fragment"] = parsedURL.Fragment
	if parsedURL.User != nil {
		dict["userinfo"] = parsedURL.User.String()
	} else {
		dict["userinfo"] = ""
	}
	return dict
}

func first(list interface{}) interface{} {
	tp := reflect.TypeOf(list).Kind()
	switch tp {
	case reflect.Slice, reflect.Array:
		l2 := reflect.ValueOf(list)
		if l2.Len() == 0 {
			return nil
		}
		return l2.Index(0).Interface()
	default:
		panic(fmt.Errorf("Cannot find first on type %s", tp))
	}
}

func last(list interface{}) interface{} {
	tp := reflect.TypeOf(list).Kind()
	switch tp {
	case reflect.Slice, reflect.Array:
		l2 := reflect.ValueOf(list)
		if l2.Len() == 0 {
			return nil
		}
		return l2.Index(l2.Len() - 1).Interface()
	default:
		panic(fmt.Errorf("Cannot find last on type %s", tp))
	}
}

func push(list interface{}, v interface{}) []interface{} {
	tp := reflect.TypeOf(list).Kind()
	switch tp {
	case reflect.Slice, reflect.Array:
		l2 := reflect.ValueOf(list)
		nl := make([]interface{}, l2.Len())
		for i := range nl {
			nl[i] = l2.Index(i).Interface()
		}
		return append(nl, v)
	default:
		panic(fmt.Errorf("Cannot push on type %s", tp))
	}
}

func strval(v interface{}) string {
	switch v := v.(type) {
	case string:
		return v
	case []byte:
		return string(v)
	case error:
		return v.Error()
	case fmt.Stringer:
		return v.String()
	default:
		return fmt.Sprintf("%v", v)
	}
}

func strslice(v interface{}) []string {
	switch v := v.(type) {
	case []string:
		return v
	case []interface{}:
		b := make([]string, 0, len(v))
		for _, s := range v {
			if s != nil {
				b = append(b, strval(s))
			}
		}
		return b
	default:
		val := reflect.ValueOf(v)
		switch val.Kind() {
		case reflect.Array, reflect.Slice:
			b := make([]string, 0, val.Len())
			for i := 0; i < val.Len(); i++ {
				if value := val.Index(i).Interface(); value != nil {
					b = append(b, strval(value))
				}
			}
			return b
		default:
			if v == nil {
				return []string{}
			}
			return []string{strval(v)}
		}
	}
}

func quote(str ...interface{}) string {
	out := make([]string, 0, len(str))
	for _, s := range str {
		if s != nil {
			out = append(out, fmt.Sprintf("%q", strval(s)))
		}
	}
	return strings.Join(out, " ")
}

func toJSON(v interface{}) string {
	output, _ := json.Marshal(v)
	return string(output)
}
