// Package e2e holds Outlay's real-browser tests: each test starts the app on a TCP port over
// a fresh test deployment and drives Chromium through chromedp. The tests skip when no
// Chromium is installed.
package e2e
