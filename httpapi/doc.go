// Package httpapi serves a statstore.StatsStore over HTTP and talks to such
// a server: training jobs on a cluster write to one statstore server from any
// language, and dashboards read it while training runs.
//
// The server (NewServer) answers a JSON API under /api/v1 (every route is in
// docs/api.md and docs/openapi.yaml):
//
//	GET    /api/v1/runs                      list runs
//	GET    /api/v1/runs/{run}/training       history; ?from=&to= a range, ?max_points=N&mode=stride|minmax a plot subsample
//	POST   /api/v1/runs/{run}/training       {"iteration_stats": [...]}: one StoreTrainingStats
//	DELETE /api/v1/runs/{run}/training
//	GET    /api/v1/runs/{run}/validation     scores with their metadata
//	POST   /api/v1/runs/{run}/validation     metadata fields + "scores": one StoreValidationIterationScores
//	DELETE /api/v1/runs/{run}/validation
//	GET    /api/v1/runs/{run}/best           the best report (statstore best --json)
//	DELETE /api/v1/runs/{run}
//	GET    /api/v1/runs/{run}/events         server-sent events: entries as they are stored
//	GET    /metrics                          Prometheus text format
//
// The extend-or-overwrite rules are the store's, unchanged. Non-finite floats
// travel as the strings "NaN", "Infinity" and "-Infinity"; requests may also
// carry Python's bare NaN/Infinity/-Infinity tokens. Errors are
// {"error": {"code", "message"}} with a status from one table that maps the
// root sentinel errors to HTTP statuses, and the Client maps them back, so
// errors.Is works through HTTP; 5xx answers carry a request id and a generic
// message, the details going to the log. Before a body is read, every request
// is checked: its Host name (421 for names that are not the server's, which
// stops DNS rebinding), its origin (403 for what a browser sends for another
// site), the token when one is configured ("Authorization: Bearer <token>"
// on every write, on reads too with TokenForReads; 401), the media type of a
// write (application/json; 415) and its size (413) and share of the body
// bytes in flight per client and in total (429, 503). Bodies are decoded
// strictly and as they arrive. Event streams are limited per client.
// NewHTTPServer sets timeouts against slow clients, and its Shutdown ends the
// event streams and lets writes in flight finish. docs/api.md's Security
// section says what is protected and what is not.
//
// The Client (NewClient) implements statstore.StatsStore over the API, and
// passes the storetest conformance suite against a real server.
package httpapi
