// Package browsertest drives the page of `serve --web` in a real headless
// Chromium (chromedp) against a real pipeline: over http:// (HTTP/1.1,
// Connect JSON) and https:// with a self-signed certificate (HTTP/2). It
// holds tests only; CI installs Debian's chromium, and a developer
// machine without it skips them with a message.
package browsertest
