//go:build ignore

// Generates json_golden.jsonl: random values encoded by Go's encoding/json, for
// tests/sprig_text.rs (fromJson then toJson/toPrettyJson/toRawJson must reproduce Go's bytes).
// Run: go run json_gen.go > json_golden.jsonl
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand"
	"strings"
)

var r = rand.New(rand.NewSource(7))

func str() string {
	pieces := []string{"a", "Z", " ", "<", ">", "&", "\"", "\\", "/", "\n", "\t", "\x01", "\x1f", "\x7f",
		"é", "☺", "\u2028", "\u2029", "\U0001F600", "\b", "\f", "\r", "'", "ü", "日本"}
	var b strings.Builder
	for i := r.Intn(6); i > 0; i-- {
		b.WriteString(pieces[r.Intn(len(pieces))])
	}
	return b.String()
}

func num() float64 {
	switch r.Intn(6) {
	case 0:
		return float64(r.Intn(2000) - 1000)
	case 1:
		return r.NormFloat64() * math.Pow(10, float64(r.Intn(40)-20))
	case 2:
		return math.Float64frombits(r.Uint64()&^(0x7ff<<52) | uint64(r.Intn(2046)+1)<<52)
	case 3:
		return float64(r.Int63()) * float64(1-2*r.Intn(2))
	case 4:
		return math.Pow(10, float64(r.Intn(44)-22))
	default:
		return r.Float64() * 1e-5
	}
}

func val(depth int) interface{} {
	k := r.Intn(8)
	if depth > 3 {
		k = r.Intn(5)
	}
	switch k {
	case 0:
		return nil
	case 1:
		return r.Intn(2) == 0
	case 2, 3:
		return num()
	case 4:
		return str()
	case 5:
		l := []interface{}{}
		for i := r.Intn(4); i > 0; i-- {
			l = append(l, val(depth+1))
		}
		return l
	default:
		m := map[string]interface{}{}
		for i := r.Intn(4); i > 0; i-- {
			m[str()] = val(depth + 1)
		}
		return m
	}
}

func main() {
	for i := 0; i < 400; i++ {
		v := val(0)
		plain, _ := json.Marshal(v)
		pretty, _ := json.MarshalIndent(v, "", "  ")
		buf := new(bytes.Buffer)
		enc := json.NewEncoder(buf)
		enc.SetEscapeHTML(false)
		enc.Encode(&v)
		line, _ := json.Marshal(map[string]string{
			"json": string(plain), "pretty": string(pretty), "raw": strings.TrimSuffix(buf.String(), "\n"),
		})
		fmt.Println(string(line))
	}
}
