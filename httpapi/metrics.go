package httpapi

import (
	"bufio"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// latencyBuckets returns the upper bounds, in seconds, of the request
// latency histogram's buckets.
func latencyBuckets() []float64 {
	return []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}
}

// requestKey labels the request counter.
type requestKey struct {
	route, method string
	status        int
}

// histogram is a cumulative-on-output latency histogram.
type histogram struct {
	counts []uint64 // per bucket, not cumulative; the last is +Inf
	sum    float64
	count  uint64
}

// metrics are one server's counters, written in the Prometheus text
// exposition format (version 0.0.4) at /metrics. They belong to the Server:
// there is no global registry.
type metrics struct {
	buckets   []float64
	mu        sync.Mutex
	requests  map[requestKey]uint64
	latencies map[string]*histogram // by route

	inFlight          atomic.Int64
	trainingEntries   atomic.Uint64
	validationEntries atomic.Uint64
	streams           func() int
	bodyBytes         func() int64
}

func newMetrics(streams func() int, bodyBytes func() int64) *metrics {
	return &metrics{buckets: latencyBuckets(), requests: map[requestKey]uint64{}, latencies: map[string]*histogram{}, streams: streams, bodyBytes: bodyBytes}
}

// observe records one answered request.
func (m *metrics) observe(route, method string, status int, d time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.requests[requestKey{route, method, status}]++
	h := m.latencies[route]
	if h == nil {
		h = &histogram{counts: make([]uint64, len(m.buckets)+1)}
		m.latencies[route] = h
	}
	s := d.Seconds()
	i := sort.SearchFloat64s(m.buckets, s)
	h.counts[i]++
	h.sum += s
	h.count++
}

// write writes every metric in the text exposition format.
func (m *metrics) write(w io.Writer) error {
	bw := bufio.NewWriter(w)
	m.mu.Lock()
	keys := make([]requestKey, 0, len(m.requests))
	for k := range m.requests {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		if a.route != b.route {
			return a.route < b.route
		}
		if a.method != b.method {
			return a.method < b.method
		}
		return a.status < b.status
	})
	header(bw, "statstore_http_requests_total", "counter", "HTTP requests answered, by route pattern, method and status.")
	for _, k := range keys {
		fmt.Fprintf(bw, "statstore_http_requests_total{route=%s,method=%s,status=\"%d\"} %d\n", quote(k.route), quote(k.method), k.status, m.requests[k])
	}
	routes := make([]string, 0, len(m.latencies))
	for r := range m.latencies {
		routes = append(routes, r)
	}
	sort.Strings(routes)
	header(bw, "statstore_http_request_duration_seconds", "histogram", "Time to answer a request (streams of events excluded), by route pattern.")
	for _, r := range routes {
		h := m.latencies[r]
		var cum uint64
		for i, le := range m.buckets {
			cum += h.counts[i]
			fmt.Fprintf(bw, "statstore_http_request_duration_seconds_bucket{route=%s,le=\"%s\"} %d\n", quote(r), strconv.FormatFloat(le, 'g', -1, 64), cum)
		}
		fmt.Fprintf(bw, "statstore_http_request_duration_seconds_bucket{route=%s,le=\"+Inf\"} %d\n", quote(r), h.count)
		fmt.Fprintf(bw, "statstore_http_request_duration_seconds_sum{route=%s} %s\n", quote(r), strconv.FormatFloat(h.sum, 'g', -1, 64))
		fmt.Fprintf(bw, "statstore_http_request_duration_seconds_count{route=%s} %d\n", quote(r), h.count)
	}
	m.mu.Unlock()

	header(bw, "statstore_http_requests_in_flight", "gauge", "Requests being answered.")
	fmt.Fprintf(bw, "statstore_http_requests_in_flight %d\n", m.inFlight.Load())
	header(bw, "statstore_stored_training_iterations_total", "counter", "Training entries in successful store requests (before extend-or-overwrite picks the new ones).")
	fmt.Fprintf(bw, "statstore_stored_training_iterations_total %d\n", m.trainingEntries.Load())
	header(bw, "statstore_stored_validation_iterations_total", "counter", "Validation entries in successful store requests (before extend-or-overwrite picks the new ones).")
	fmt.Fprintf(bw, "statstore_stored_validation_iterations_total %d\n", m.validationEntries.Load())
	header(bw, "statstore_event_streams", "gauge", "Open server-sent event streams.")
	fmt.Fprintf(bw, "statstore_event_streams %d\n", m.streams())
	header(bw, "statstore_http_body_bytes_in_flight", "gauge", "Request body bytes reserved by requests being received (the cap of ServerOptions.MaxTotalBodyBytes).")
	fmt.Fprintf(bw, "statstore_http_body_bytes_in_flight %d\n", m.bodyBytes())
	return bw.Flush()
}

func header(w io.Writer, name, typ, help string) {
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ)
}

// quote writes a label value with the escapes of the text format.
func quote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return `"` + r.Replace(s) + `"`
}
