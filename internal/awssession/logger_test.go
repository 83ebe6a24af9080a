package awssession

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/smithy-go/logging"
)

// TestSDKLogOutputGoesToSlog: the configuration Load returns writes the
// SDK's own log entries through the given slog logger (or slog.Default()),
// never as plain text on stderr, so a JSON log stays JSON throughout.
func TestSDKLogOutputGoesToSlog(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "no-config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "no-credentials"))
	t.Setenv("AWS_PROFILE", "")

	var buf bytes.Buffer
	l := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cfg, err := Load(context.Background(), Settings{Logger: l})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Logger.Logf(logging.Warn, "response has no supported checksum (%s)", "crc32")
	logging.WithContext(context.Background(), cfg.Logger).Logf(logging.Debug, "retrying %d", 2)
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("want 2 JSON lines, got %q", buf.String())
	}
	for i, want := range []struct{ level, msg string }{{"WARN", "response has no supported checksum (crc32)"}, {"DEBUG", "retrying 2"}} {
		var rec map[string]any
		if err := json.Unmarshal([]byte(lines[i]), &rec); err != nil {
			t.Fatalf("line %d is not JSON: %q", i, lines[i])
		}
		if rec["level"] != want.level || rec["msg"] != want.msg || rec["source"] != "aws-sdk" {
			t.Errorf("line %d: %v, want level %s msg %q source aws-sdk", i, rec, want.level, want.msg)
		}
	}

	// Without a logger: whatever slog.Default() is when the SDK logs.
	var def bytes.Buffer
	prev := slog.Default()
	t.Cleanup(func() { slog.SetDefault(prev) })
	cfg, err = Load(context.Background(), Settings{})
	if err != nil {
		t.Fatal(err)
	}
	slog.SetDefault(slog.New(slog.NewJSONHandler(&def, nil)))
	cfg.Logger.Logf(logging.Warn, "late")
	if !strings.Contains(def.String(), `"msg":"late"`) {
		t.Errorf("slog.Default() did not receive the SDK's warning: %q", def.String())
	}
}
