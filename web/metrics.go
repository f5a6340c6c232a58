package web

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/ragd/ragd/qa"
	"github.com/ragd/ragd/retrieval"
)

// metrics are the Prometheus metrics of one server, in a registry of its
// own.
type metrics struct {
	reg       *prometheus.Registry
	requests  *prometheus.CounterVec
	latency   *prometheus.HistogramVec
	stages    *prometheus.HistogramVec
	search    *prometheus.HistogramVec
	ingested  *prometheus.CounterVec
	chunks    prometheus.Counter
	deleted   prometheus.Counter
	modelFail *prometheus.CounterVec
	inflight  prometheus.Gauge
}

// latencyBuckets span a cached lexical search (a millisecond) to a slow
// generated answer (a minute), in seconds.
var latencyBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}

func newMetrics(stats func(context.Context) (retrieval.Stats, error)) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ragd_http_requests_total", Help: "HTTP requests answered, by route and status.",
		}, []string{"method", "route", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "ragd_http_request_duration_seconds", Help: "Time to answer an HTTP request, by route.", Buckets: latencyBuckets,
		}, []string{"method", "route"}),
		stages: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "ragd_answer_stage_duration_seconds", Help: "Time spent in each stage of answering a question: rewrite, retrieve, generate or extract.", Buckets: latencyBuckets,
		}, []string{"stage"}),
		search: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "ragd_search_stage_duration_seconds", Help: "Time a search spends in each stage in the store: embed, lexical, dense, fuse or rerank.", Buckets: latencyBuckets,
		}, []string{"stage"}),
		ingested: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ragd_ingested_documents_total", Help: "Documents posted to the API, by outcome: added, updated or unchanged.",
		}, []string{"status"}),
		chunks: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ragd_ingested_chunks_total", Help: "Chunks indexed from documents posted to the API.",
		}),
		deleted: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ragd_deleted_documents_total", Help: "Documents deleted through the API.",
		}),
		modelFail: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ragd_model_failures_total", Help: "Failed calls to the language model, by kind: timeout or error.",
		}, []string{"kind"}),
		inflight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "ragd_http_requests_in_flight", Help: "HTTP requests being answered.",
		}),
	}
	m.reg.MustRegister(m.requests, m.latency, m.stages, m.search, m.ingested, m.chunks, m.deleted, m.modelFail, m.inflight,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if stats != nil {
		m.reg.MustRegister(&indexCollector{
			stats:     stats,
			documents: prometheus.NewDesc("ragd_documents", "Documents in the index.", nil, nil),
			chunks:    prometheus.NewDesc("ragd_chunks", "Chunks in the index.", nil, nil),
		})
	}
	return m
}

// statsTimeout bounds the backend's count of documents and chunks during a
// scrape, for a remote backend that does not answer.
const statsTimeout = 5 * time.Second

// indexCollector reports the index's documents and chunks, counted once
// per scrape.
type indexCollector struct {
	stats             func(context.Context) (retrieval.Stats, error)
	documents, chunks *prometheus.Desc
}

func (c *indexCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.documents
	ch <- c.chunks
}

func (c *indexCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), statsTimeout)
	defer cancel()
	st, err := c.stats(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.documents, fmt.Errorf("count documents: %w", err))
		return
	}
	ch <- prometheus.MustNewConstMetric(c.documents, prometheus.GaugeValue, float64(st.Documents))
	ch <- prometheus.MustNewConstMetric(c.chunks, prometheus.GaugeValue, float64(st.Chunks))
}

// observe records a finished request.
func (m *metrics) observe(method, route string, status int, d time.Duration) {
	m.requests.WithLabelValues(method, route, strconv.Itoa(status)).Inc()
	m.latency.WithLabelValues(method, route).Observe(d.Seconds())
}

// searchStage records a stage of a search, for every search a request
// runs (one for /api/search, one or more for an answer).
func (m *metrics) searchStage(stage retrieval.Stage, d time.Duration) {
	m.search.WithLabelValues(string(stage)).Observe(d.Seconds())
}

// answered records the stages of an answer and a model failure that it
// fell back from.
func (m *metrics) answered(a qa.Answer) {
	if a.Timings.Rewrite > 0 {
		m.stages.WithLabelValues("rewrite").Observe(a.Timings.Rewrite.Seconds())
	}
	m.stages.WithLabelValues("retrieve").Observe(a.Timings.Retrieve.Seconds())
	stage := "extract"
	if a.Generated {
		stage = "generate"
	}
	m.stages.WithLabelValues(stage).Observe(a.Timings.Answer.Seconds())
	if a.Warning != "" {
		// The answer fell back from a failed model; its error is gone,
		// only its wording remains.
		m.modelFail.WithLabelValues("error").Inc()
	}
}

// failed records a model failure that failed the request.
func (m *metrics) failed(err error) {
	switch {
	case errors.Is(err, qa.ErrModelTimeout):
		m.modelFail.WithLabelValues("timeout").Inc()
	case errors.Is(err, qa.ErrModelFailed):
		m.modelFail.WithLabelValues("error").Inc()
	}
}

// ingestedResults records the outcome of an ingest.
func (m *metrics) ingestedResults(res []retrieval.IngestResult) {
	for _, r := range res {
		m.ingested.WithLabelValues(string(r.Status)).Inc()
		if r.Status != retrieval.Unchanged {
			m.chunks.Add(float64(r.Chunks))
		}
	}
}

// handler serves the metrics in Prometheus' text format.
func (m *metrics) handler() echo.HandlerFunc {
	h := promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
	return func(c echo.Context) error {
		h.ServeHTTP(c.Response(), c.Request())
		return nil
	}
}
