package cli

import (
	"fmt"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// jsonLogs says whether --log-format json asked for every stderr line to
// be JSON.
func (g *globalOptions) jsonLogs() bool { return g.logFormat == "json" }

// say writes a line for the person at the terminal to stderr: text as it
// is with --log-format console; with json, one log entry of level lvl
// whose message is text and which carries fields, so a log pipeline reads
// every line tail and its kin print.
func (g *globalOptions) say(lvl zapcore.Level, text string, fields ...zap.Field) {
	if g.jsonLogs() && g.logger != nil {
		if ce := g.logger.Check(lvl, text); ce != nil {
			ce.Write(fields...)
			return
		}
		if lvl < zapcore.ErrorLevel {
			return // --log-level is above it
		}
	}
	_, _ = fmt.Fprintln(g.streams.ErrOut, text) // stderr: nowhere left to report a failure
}
