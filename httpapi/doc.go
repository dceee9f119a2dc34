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
// errors.Is works through HTTP. With a token configured every write needs
// "Authorization: Bearer <token>" (reads too with TokenForReads); bodies are
// size-limited (413); NewHTTPServer sets timeouts against slow clients, and
// its Shutdown ends the event streams and lets writes in flight finish.
//
// The Client (NewClient) implements statstore.StatsStore over the API, and
// passes the storetest conformance suite against a real server.
package httpapi
