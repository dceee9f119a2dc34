// Package servebench measures a tracking server on the MLflow-style
// workload of issue 13, with one client for every server so the figures
// compare: one run receives N iterations (loss and step time) posted K per
// request, then its whole history is read back; then W concurrent writers
// each post their own run. The same workload runs against a statstore
// server (its JSON routes) or any MLflow-compatible tracking server (the
// REST API's runs/log-batch and metrics/get-history), such as MLflow
// itself or FastTrackML.
//
// The request bodies are encoded before the clock starts, so the figures
// are the server's (and the loopback's), not the client's encoder. Every
// read is checked: a history with an entry missing is an error, not a
// figure.
package servebench
