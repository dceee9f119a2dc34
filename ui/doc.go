// Package ui is statstore's dashboard: a few static files embedded in the
// binary (no build step), served by Handler at / of statstore serve next to
// the JSON API of package httpapi, which the pages read.
//
// The dashboard has four views, addressed by the URL fragment so that every
// view can be bookmarked:
//
//	#/                      the runs: trained-until, last validated checkpoint, last loss and
//	                        a chosen best value; a virtual table (only the rows in view are
//	                        in the page) paged, filtered and sorted by the server when it
//	                        keeps run summaries, by the page otherwise; debounced search,
//	                        select runs to compare
//	#/run/<run>             one run: loss vs iteration (smoothing, log scale, zoom),
//	                        validation scores per dataset for a criterion, the
//	                        validated checkpoints and the best report; follows a
//	                        training run live through the API's server-sent events
//	                        (validation events merged by iteration)
//	#/compare?run=a&run=b   the loss and a criterion of up to 100 runs on one chart each,
//	                        each chart one request for all the runs (POST
//	                        /api/v1/compare/training/buckets and /compare/validation); a run
//	                        picker with search
//	#/leaderboard           per dataset × criterion, runs grouped across repetitions (or by
//	                        a tag or configuration key): mean ± std, min, max, count; a
//	                        group opens to its runs (GET /api/v1/leaderboard)
//
// The views follow the store's changes through feed.js (the store-wide
// event stream) when the build has it, and do not poll.
//
// Superseded checkpoints (validated before training was resumed from an
// earlier checkpoint, which overwrote their weights) are listed greyed in the
// run's checkpoints table and left out of the plots, the best report and the
// compare view, with a note of how many were; "include superseded" (kept with
// the other preferences in the browser) shows them as hollow grey points.
//
// Charts are drawn with uPlot (MIT licence, vendored in static/vendor with its
// licence; see static/vendor/README.md). The pages never fetch a whole
// training history. The run view's loss chart (static/js/m4.js) draws M4
// buckets, one per pixel column of the plot (GET …/training/buckets: each
// bucket's first, lowest, highest and last loss, so no spike is hidden),
// flags the first NaN or ±Inf of each streak, and on a zoom (debounced; a
// newer fetch aborts an older one) asks for the buckets of the visible
// range, or for its raw entries once it holds fewer entries than the plot
// has pixels; a live append re-reads from the last bucket on only. The
// compare view draws every run's buckets, asked for in one request (POST
// /api/v1/compare/training/buckets), for the whole runs and for a zoomed
// range.
package ui
