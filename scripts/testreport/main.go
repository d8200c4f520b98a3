// Command testreport reads `go test -json` on stdin and prints what a
// plain `go test` prints (a line per package, the output of failed tests),
// then every skipped test with its reason. It exits 1 when a test failed,
// and also when one was skipped under CI=true: there every service the
// tests need must be present.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
)

type event struct {
	Action  string
	Package string
	Test    string
	Output  string
	Elapsed float64
}

func main() {
	output := map[string][]string{} // package/test → its output lines
	var skipped []string
	failed := false
	sc := bufio.NewScanner(os.Stdin)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var e event
		if json.Unmarshal(sc.Bytes(), &e) != nil {
			fmt.Println(sc.Text()) // build errors come as plain text
			continue
		}
		id := e.Package + " " + e.Test
		switch e.Action {
		case "build-output":
			fmt.Print(e.Output)
		case "output":
			output[id] = append(output[id], e.Output)
		case "fail":
			failed = true
			if e.Test != "" {
				fmt.Print(strings.Join(output[id], ""))
			} else {
				fmt.Printf("FAIL\t%s\t%.3fs\n", e.Package, e.Elapsed)
			}
		case "pass":
			if e.Test == "" {
				fmt.Printf("ok  \t%s\t%.3fs\n", e.Package, e.Elapsed)
			}
		case "skip":
			if e.Test == "" {
				fmt.Printf("?   \t%s\t[no test files]\n", e.Package)
				continue
			}
			reason := ""
			for _, line := range output[id] {
				line = strings.TrimSpace(line)
				if line != "" && !strings.HasPrefix(line, "=== ") && !strings.HasPrefix(line, "--- SKIP") {
					reason = line
				}
			}
			skipped = append(skipped, fmt.Sprintf("%s %s: %s", e.Package, e.Test, reason))
		}
		if e.Action == "pass" || e.Action == "fail" || e.Action == "skip" {
			delete(output, id)
		}
	}
	sort.Strings(skipped)
	if len(skipped) > 0 {
		fmt.Printf("\n%d tests skipped:\n", len(skipped))
		for _, s := range skipped {
			fmt.Println("  SKIP", s)
		}
		if os.Getenv("CI") != "" {
			fmt.Println("CI=true: nothing may be skipped (install what the skip names)")
			failed = true
		}
	} else {
		fmt.Println("\nno test skipped")
	}
	if failed {
		os.Exit(1)
	}
}
