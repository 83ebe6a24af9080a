package awssession

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/aws/smithy-go/logging"
)

// sdkLogger hands the AWS SDK's own log output (its warnings about
// checksums, retries, deprecated settings) to slog, so that a command
// logging JSON writes no plain-text line among its JSON ones. The SDK's
// default writes them to stderr with the standard library's log package.
type sdkLogger struct {
	// logger is nil to log through slog.Default() at the time of each
	// entry, so that a configuration loaded by a library caller follows
	// whatever logger the command installed.
	logger *slog.Logger
	ctx    context.Context
}

// SDKLogger returns the logging.Logger the SDK writes through: l, or
// slog.Default() when l is nil. WARN entries are slog warnings, DEBUG and
// anything else debug lines, each with source=aws-sdk.
func SDKLogger(l *slog.Logger) logging.Logger { return sdkLogger{logger: l} }

func (s sdkLogger) Logf(c logging.Classification, format string, v ...any) {
	l := s.logger
	if l == nil {
		l = slog.Default()
	}
	level := slog.LevelDebug
	if c == logging.Warn {
		level = slog.LevelWarn
	}
	ctx := s.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	if !l.Enabled(ctx, level) {
		return
	}
	l.Log(ctx, level, fmt.Sprintf(format, v...), "source", "aws-sdk")
}

// WithContext lets the SDK pass the request's context to the handler.
func (s sdkLogger) WithContext(ctx context.Context) logging.Logger {
	s.ctx = ctx
	return s
}
