//go:build ignore

// Generates strconv_golden.jsonl: random numeric-looking strings through Go's
// strconv.ParseInt(s, 0, 64), ParseInt(s, 8, 64), ParseInt(s, 10, 64), ParseFloat(s, 64) and
// ParseBool, for the unit tests of sprig/cast.rs (spf13/cast and sprig's atoi/toDecimal).
// Run: go run strconv_gen.go > strconv_golden.jsonl
package main

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand"
	"strconv"
	"strings"
)

var r = rand.New(rand.NewSource(9))

var pieces = []string{"0", "1", "7", "8", "9", "5", "00", "_", ".", "e", "E", "p", "P", "x", "X", "o", "b", "+", "-",
	"a", "f", "F", "inf", "Inf", "infinity", "nan", "NaN", " ", "1e308", "9223372036854775807", "9223372036854775808",
	"18446744073709551616", "1e-400", "0x1p-1074", "0x1.fffffffffffffp1023", "t", "T", "true", "False"}

func main() {
	for i := 0; i < 1500; i++ {
		var b strings.Builder
		for k := r.Intn(5) + 1; k > 0; k-- {
			b.WriteString(pieces[r.Intn(len(pieces))])
		}
		s := b.String()
		out := map[string]interface{}{"s": s}
		res := func(v interface{}, err error) interface{} {
			if err != nil {
				return map[string]interface{}{"err": err.Error()}
			}
			if f, ok := v.(float64); ok {
				if math.IsInf(f, 0) || math.IsNaN(f) {
					return map[string]interface{}{"float": fmt.Sprint(f)}
				}
				return map[string]interface{}{"bits": fmt.Sprint(math.Float64bits(f))}
			}
			return map[string]interface{}{"ok": fmt.Sprint(v)}
		}
		out["int0"] = res(strconv.ParseInt(s, 0, 64))
		out["int8"] = res(strconv.ParseInt(s, 8, 64))
		out["int10"] = res(strconv.ParseInt(s, 10, 64))
		out["float"] = res(strconv.ParseFloat(s, 64))
		out["bool"] = res(strconv.ParseBool(s))
		line, _ := json.Marshal(out)
		fmt.Println(string(line))
	}
}
