// Package ui is statstore's dashboard: a few static files embedded in the
// binary (no build step), served by Handler at / of statstore serve next to
// the JSON API of package httpapi, which the pages read.
//
// The dashboard has three views, addressed by the URL fragment so that every
// view can be bookmarked:
//
//	#/                      the runs: trained-until, validated-until, last loss and
//	                        the best value of a chosen criterion; filter by name,
//	                        select runs to compare
//	#/run/<run>             one run: loss vs iteration (smoothing, log scale, zoom),
//	                        validation scores per dataset for a criterion, and the
//	                        best report; follows a training run live through the
//	                        API's server-sent events
//	#/compare?run=a&run=b   the loss and a criterion of several runs on one chart
//
// Charts are drawn with uPlot (MIT licence, vendored in static/vendor with its
// licence; see static/vendor/README.md). The pages never fetch a whole
// training history: they ask the API for a plot-sized subsample
// (max_points), and for a new subsample of the visible range when the user
// zooms, so a run with millions of iterations stays responsive.
package ui
