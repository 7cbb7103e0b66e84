// helmrender renders a Helm chart's templates as `helm template` does, for tests on machines
// without helm: Go's text/template with the few chart functions goship's templates use
// (include, toYaml, toJson, nindent, indent, quote, sha256sum, trunc, trim). toYaml writes
// JSON, which is YAML. Missing values are errors, not "<no value>".
//
// usage: helmrender CHART_DIR < context.json   (context: {"Values", "Release", "Chart"})
package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/template"
)

func indent(spaces int, text string) string {
	pad := strings.Repeat(" ", spaces)
	return pad + strings.ReplaceAll(text, "\n", "\n"+pad)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "helmrender:", err)
	os.Exit(1)
}

func main() {
	if len(os.Args) != 2 {
		fail(fmt.Errorf("usage: helmrender CHART_DIR < context.json"))
	}
	var context map[string]any
	if err := json.NewDecoder(os.Stdin).Decode(&context); err != nil {
		fail(err)
	}
	root := template.New("chart").Option("missingkey=error")
	funcs := template.FuncMap{
		"include": func(name string, data any) (string, error) {
			var out bytes.Buffer
			err := root.ExecuteTemplate(&out, name, data)
			return out.String(), err
		},
		"toYaml": func(value any) (string, error) {
			raw, err := json.Marshal(value)
			return string(raw), err
		},
		"toJson": func(value any) (string, error) {
			raw, err := json.Marshal(value)
			return string(raw), err
		},
		"nindent": func(spaces int, text string) string { return "\n" + indent(spaces, text) },
		"indent":  indent,
		"quote": func(values ...any) string {
			quoted := make([]string, 0, len(values))
			for _, value := range values {
				if value != nil {
					quoted = append(quoted, fmt.Sprintf("%q", fmt.Sprint(value)))
				}
			}
			return strings.Join(quoted, " ")
		},
		"sha256sum": func(text string) string {
			sum := sha256.Sum256([]byte(text))
			return hex.EncodeToString(sum[:])
		},
		"trunc": func(length int, text string) string {
			if len(text) > length {
				return text[:length]
			}
			return text
		},
		"trim": strings.TrimSpace,
	}
	root.Funcs(funcs)
	files, err := filepath.Glob(filepath.Join(os.Args[1], "templates", "*"))
	if err != nil {
		fail(err)
	}
	sort.Strings(files)
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			fail(err)
		}
		if _, err := root.New(filepath.Base(file)).Parse(string(raw)); err != nil {
			fail(err)
		}
	}
	for _, file := range files {
		name := filepath.Base(file)
		if strings.HasPrefix(name, "_") || !strings.HasSuffix(name, ".yaml") {
			continue
		}
		var out bytes.Buffer
		if err := root.ExecuteTemplate(&out, name, context); err != nil {
			fail(err)
		}
		if strings.TrimSpace(out.String()) == "" {
			continue
		}
		fmt.Printf("---\n# Source: templates/%s\n%s\n", name, strings.TrimRight(out.String(), "\n"))
	}
}
