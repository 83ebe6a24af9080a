// Command demostat prints what bench/demo.sh measured: the demo's
// generation time (from its JSON log), the run's stages (from run.json) and
// the process's peak RSS and times (from /usr/bin/time -f '%M %e %U %S').
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
)

func main() {
	runPath := flag.String("run", "", "run.json of the demo's run")
	logPath := flag.String("log", "", "the demo's stderr, --log-format json")
	timePath := flag.String("time", "", "/usr/bin/time -f '%M %e %U %S' output")
	flag.Parse()
	if err := report(*runPath, *logPath, *timePath); err != nil {
		fmt.Fprintln(os.Stderr, "demostat:", err)
		os.Exit(1)
	}
}

func report(runPath, logPath, timePath string) error {
	var rec struct {
		Stages []struct {
			Name       string `json:"name"`
			DurationMS int64  `json:"duration_ms"`
		} `json:"stages"`
	}
	data, err := os.ReadFile(runPath)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, &rec); err != nil {
		return fmt.Errorf("reading %s: %w", runPath, err)
	}
	stage := map[string]float64{}
	for _, s := range rec.Stages {
		stage[s.Name] = float64(s.DurationMS) / 1000
	}
	gen, err := generation(logPath)
	if err != nil {
		return err
	}
	var rssKB, wall, user, sys float64
	t, err := os.ReadFile(timePath)
	if err != nil {
		return err
	}
	if _, err := fmt.Sscan(string(t), &rssKB, &wall, &user, &sys); err != nil {
		return fmt.Errorf("reading %s: %w", timePath, err)
	}
	scan := stage["activity"]
	if scan == 0 {
		return fmt.Errorf("%s has no activity stage", runPath)
	}
	after := stage["findings"] + stage["reports"]
	fmt.Printf("stages (s): inventory %.2f, activity (scan) %.2f, references %.2f, findings %.2f, reports %.2f\n",
		stage["inventory"], scan, stage["references"], stage["findings"], stage["reports"])
	fmt.Printf("generation        %6.2f s   %.2fx the scan (target: <= 1)\n", gen.Seconds, gen.Seconds/scan)
	if gen.User != nil && gen.System != nil {
		fmt.Printf("  its CPU         %6.2f s user, %.2f s system (creating the files)\n", *gen.User, *gen.System)
	}
	if flush, err := logSeconds(logPath, "flushed the demo files to disk"); err == nil {
		fmt.Printf("  then syncfs     %6.2f s (not counted: the kernel writing the files out, before the run)\n", flush)
	}
	fmt.Printf("join+reports      %6.2f s   %.1f%% of the scan (target: < 10%%)\n", after, 100*after/scan)
	fmt.Printf("  with references %6.2f s   %.1f%% of the scan\n", after+stage["references"], 100*(after+stage["references"])/scan)
	fmt.Printf("peak RSS          %6.0f MiB (target: < 1024)\n", rssKB/1024)
	fmt.Printf("process           %6.2f s wall, %.2f s user, %.2f s system\n", wall, user, sys)
	return nil
}

// logSeconds is the "seconds" of the first log record with message msg.
func logSeconds(path, msg string) (float64, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		var r struct {
			Msg     string  `json:"msg"`
			Seconds float64 `json:"seconds"`
		}
		if json.Unmarshal([]byte(line), &r) == nil && r.Msg == msg {
			return r.Seconds, nil
		}
	}
	return 0, fmt.Errorf("%s has no %q record", path, msg)
}

// generated is the demo's "generated the demo organization" log record.
type generated struct {
	Seconds float64  `json:"seconds"`
	User    *float64 `json:"user_s"` // absent where the system does not say
	System  *float64 `json:"system_s"`
}

// generation finds the demo's "generated the demo organization" log record.
func generation(path string) (generated, error) {
	f, err := os.Open(path)
	if err != nil {
		return generated{}, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.Contains(line, "generated the demo organization") {
			continue
		}
		var r generated
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			return r, fmt.Errorf("reading %s: %w", path, err)
		}
		return r, nil
	}
	if err := sc.Err(); err != nil {
		return generated{}, err
	}
	return generated{}, fmt.Errorf("%s has no \"generated the demo organization\" record", path)
}
