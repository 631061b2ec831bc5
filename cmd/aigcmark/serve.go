package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"mime"
	"net"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/aigcmark/aigcmark/cmd/internal/fileset"
	"github.com/aigcmark/aigcmark/cmd/internal/httpapi"
	"github.com/aigcmark/aigcmark/cmd/internal/storage"
	"github.com/aigcmark/aigcmark/cmd/internal/video"
	"github.com/aigcmark/aigcmark/label"
	"github.com/aigcmark/aigcmark/label/sign"
	"github.com/aigcmark/aigcmark/label/visible"
	"github.com/aigcmark/aigcmark/label/visible/picture"
)

type serveOptions struct {
	Listen      string
	Tokens      string
	NoAuth      bool
	MaxBody     string
	Timeout     time.Duration
	Grace       time.Duration
	Workers     int
	Queue       int
	Concurrency int
	Trust       cli.StringSlice
	WMKey       string
	Explicit    bool
	MaxPixels   int64
	Propagator  string
	SignKey     string
	Policy      string
	EventsOut   string
	S3Endpoint  string
	TempDir     string
}

func serveCommand() *cli.Command {
	var o serveOptions
	return &cli.Command{
		Name:  "serve",
		Usage: "an HTTP service for platforms: verify, label and propagate uploads, and react to bucket notifications",
		Description: "Routes (all but /healthz need \"Authorization: Bearer TOKEN\"):\n" +
			"  POST /v1/verify      the file as the body, or JSON {\"url\":\"s3://bucket/key\"}: the verify JSON object\n" +
			"  POST /v1/label       the file (parameters as query or JSON: producer, label, produce_id, ...): the\n" +
			"                       labeled file, or with {\"url\":…, \"out\":\"s3://…\"} the report line\n" +
			"  POST /v1/propagate   the same for propagate (propagator, propagate_id, notice, ...)\n" +
			"  POST /v1/events      S3 event notifications (AWS, MinIO, versitygw): every created object is\n" +
			"                       queued, verified and, per --policy, tagged and propagated to --events-out\n" +
			"  GET  /healthz, GET /metrics (Prometheus text format)\n" +
			"Tokens come from --tokens FILE (one per line) and AIGCMARK_TOKENS (a comma list); webhook senders\n" +
			"that cannot set headers may pass ?access_token=TOKEN on /v1/events. SIGINT or SIGTERM stops\n" +
			"accepting, finishes requests and queued events within --grace and logs what was left undone.\n" +
			"Logs are JSON lines on stderr. See docs/DEPLOY.md.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "listen", Value: "127.0.0.1:8080", Usage: "listen on `ADDR`", Destination: &o.Listen},
			&cli.StringFlag{Name: "tokens", Usage: "accepted bearer tokens, one per line, in `FILE` (also: AIGCMARK_TOKENS, a comma list)", Destination: &o.Tokens},
			&cli.BoolFlag{Name: "no-auth", Usage: "serve without authentication (a trusted network only)", Destination: &o.NoAuth},
			&cli.StringFlag{Name: "max-body", Value: "512MiB", Usage: "largest file accepted, posted or fetched (`SIZE`: 512MiB, 10MB, ...)", Destination: &o.MaxBody},
			&cli.DurationFlag{Name: "timeout", Value: 5 * time.Minute, Usage: "time limit of one request and of one event", Destination: &o.Timeout},
			&cli.DurationFlag{Name: "grace", Value: 30 * time.Second, Usage: "on SIGINT/SIGTERM, time given to requests in flight and queued events", Destination: &o.Grace},
			&cli.IntFlag{Name: "workers", Value: runtime.NumCPU(), Usage: "events processed in parallel", Destination: &o.Workers},
			&cli.IntFlag{Name: "queue", Value: 1000, Usage: "events waiting at most; beyond, /v1/events answers 503 with Retry-After", Destination: &o.Queue},
			&cli.IntFlag{Name: "concurrency", Value: 2 * runtime.NumCPU(), Usage: "files checked in parallel for requests (more wait their turn)", Destination: &o.Concurrency},
			&cli.StringSliceFlag{Name: "trust", Usage: "public keys (`FILE` or DIR of *.pub/*.pem; repeatable) whose signatures are checked", Destination: &o.Trust},
			&cli.StringFlag{Name: "wm-key", Usage: "also look for the invisible watermark made with the key `FILE`", Destination: &o.WMKey},
			&cli.BoolFlag{Name: "explicit", Value: true, Usage: "look for the explicit label in the content (--explicit=false: metadata only)", Destination: &o.Explicit},
			&cli.Int64Flag{Name: "max-pixels", Value: picture.DefaultMaxPixels, Usage: "do not decode images with more pixels than this", Destination: &o.MaxPixels},
			&cli.StringFlag{Name: "propagator", Usage: "the platform's ContentPropagator `CODE`: the default of /v1/propagate and what events propagate with", Destination: &o.Propagator},
			&cli.StringFlag{Name: "sign-key", Usage: "sign ReservedCode2 of propagated labels with the Ed25519 key `FILE`", Destination: &o.SignKey},
			&cli.StringFlag{Name: "policy", Value: "verify", Usage: "what events do to each created object: a comma list of verify, tag (aigc-label, aigc-checked object tags), propagate (to --events-out)", Destination: &o.Policy},
			&cli.StringFlag{Name: "events-out", Usage: "where the propagate policy writes: a key `PREFIX` in the event's bucket (out/) or s3://bucket/prefix/", Destination: &o.EventsOut},
			&cli.StringFlag{Name: "s3-endpoint", Usage: "S3 endpoint `URL` (http://127.0.0.1:7070 for plain HTTP; default AIGCMARK_S3_ENDPOINT, else AWS)", Destination: &o.S3Endpoint},
			&cli.StringFlag{Name: "temp-dir", Usage: "where uploads are spooled (`DIR`; default the system's)", Destination: &o.TempDir},
		},
		Action: func(c *cli.Context) error {
			return runServe(c.Context, o, c.App.ErrWriter)
		},
	}
}

// runServe serves until ctx is done (SIGINT, SIGTERM), then shuts down.
func runServe(ctx context.Context, o serveOptions, stderr io.Writer) error {
	log := slog.New(slog.NewJSONHandler(stderr, nil))
	s, err := newSrv(o, os.Getenv, log)
	if err != nil {
		return err
	}
	defer s.Close()
	ln, err := net.Listen("tcp", o.Listen)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	return s.serve(ctx, ln)
}

// Output marking: every object serve writes carries this user metadata, so
// that the notification its creation causes is not processed again.
const (
	serveOutputKey  = "aigcmark-output"
	serveTagLabel   = "aigc-label"
	serveTagChecked = "aigc-checked"
	serveMaxParams  = 64 << 10
)

// service is the state of `aigcmark serve`.
type service struct {
	o       serveOptions
	log     *slog.Logger
	maxBody int64
	tmp     string // spool folder, removed by Close
	v       *verifier
	vAI     *verifier // the same with DeclaredAI
	signer  sign.Scheme
	opener  *storage.Opener
	tag     bool
	prop    bool
	out     storage.Location // --events-out; Bucket "" means the event's bucket
	slots   chan struct{}    // request concurrency
	reg     *httpapi.Registry
	stack   *httpapi.Stack
	queue   *httpapi.Queue[srvEvent]
	reqSeq  atomic.Uint64

	draining atomic.Bool
	verdicts *httpapi.CounterVec // source, verdict
	failures *httpapi.CounterVec // stage
	events   *httpapi.CounterVec // outcome

	mu         sync.Mutex
	props      map[srvPropKey]*propagator
	setups     map[string]*explicitSetup // label's explicit setup by position
	eventSecs  float64                   // moving average of an event's duration
	testBefore func(ctx context.Context, j srvEvent)
}

type srvPropKey struct {
	propagator, position string
	notice               bool
}

// srvEvent is one created object announced by a notification.
type srvEvent struct {
	Record httpapi.Record
	Queued time.Time
}

// newSrv checks the options and builds the service; its event workers
// run from here on.
func newSrv(o serveOptions, getenv func(string) string, log *slog.Logger) (*service, error) {
	s := &service{o: o, log: log, props: map[srvPropKey]*propagator{}, setups: map[string]*explicitSetup{}}
	var err error
	if s.maxBody, err = httpapi.ParseSize(o.MaxBody); err != nil {
		return nil, usagef("serve: --max-body: %v", err)
	}
	if o.Workers < 1 || o.Queue < 1 || o.Concurrency < 1 {
		return nil, usagef("serve: --workers, --queue and --concurrency must be at least 1")
	}
	if o.Timeout <= 0 || o.Grace < 0 {
		return nil, usagef("serve: --timeout must be positive and --grace not negative")
	}
	var tokens *httpapi.Tokens
	if !o.NoAuth {
		tokens, err = httpapi.LoadTokens(o.Tokens, getenv("AIGCMARK_TOKENS"))
		if errors.Is(err, httpapi.ErrNoTokens) {
			return nil, usagef("serve: no bearer tokens: give --tokens FILE or AIGCMARK_TOKENS, or --no-auth on a trusted network")
		}
		if err != nil {
			return nil, usagef("serve: %v", err)
		}
	}
	for p := range strings.SplitSeq(o.Policy, ",") {
		switch strings.TrimSpace(p) {
		case "verify", "":
		case "tag":
			s.tag = true
		case "propagate":
			s.prop = true
		default:
			return nil, usagef("serve: --policy %q: use a comma list of verify, tag and propagate", p)
		}
	}
	if s.prop {
		if o.Propagator == "" || o.EventsOut == "" {
			return nil, usagef("serve: --policy propagate needs --propagator CODE and --events-out PREFIX")
		}
		if strings.Contains(o.EventsOut, "://") {
			loc, err := storage.ParseLocation(o.EventsOut)
			if err != nil || !loc.IsS3() {
				return nil, usagef("serve: --events-out %q: want a key prefix or s3://bucket/prefix/", o.EventsOut)
			}
			s.out = loc
		} else {
			p := strings.Trim(o.EventsOut, "/")
			if err := storage.CheckKey(p); err != nil {
				return nil, usagef("serve: --events-out: %v", err)
			}
			s.out = storage.Location{Key: p + "/"}
		}
		if s.out.Key != "" && !strings.HasSuffix(s.out.Key, "/") {
			s.out.Key += "/"
		}
	}
	if o.Propagator != "" {
		probe := label.Label{Label: "1", ContentProducer: "x", ProduceID: "x", ContentPropagator: o.Propagator, PropagateID: "00000000000000000000000000000000"}
		if ps := label.Validate(probe, label.Strict); label.HasErrors(ps) {
			return nil, usagef("serve: --propagator: %s", serveProblems(ps))
		}
	}
	vo := verifyOptions{Trust: o.Trust, WMKey: o.WMKey, Explicit: o.Explicit, MaxPixels: o.MaxPixels, Jobs: 1}
	if s.v, err = newVerifier(vo); err != nil {
		return nil, fmt.Errorf("serve: %w", err)
	}
	vo.DeclaredAI = true
	if s.vAI, err = newVerifier(vo); err != nil {
		return nil, fmt.Errorf("serve: %w", err)
	}
	if o.SignKey != "" {
		if s.signer, err = sign.LoadPrivateKey(o.SignKey); err != nil {
			return nil, usagef("serve: --sign-key: %v", err)
		}
	}
	cfg, err := storage.LoadConfig(getenv, o.S3Endpoint)
	if err != nil {
		return nil, usagef("serve: %v", err)
	}
	s.opener = &storage.Opener{Config: cfg}
	if s.tmp, err = os.MkdirTemp(o.TempDir, "aigcmark-serve-*"); err != nil {
		return nil, fmt.Errorf("serve: srvSpool folder: %w", err)
	}
	s.slots = make(chan struct{}, o.Concurrency)

	s.reg = &httpapi.Registry{}
	s.stack = httpapi.NewStack(s.reg, log, tokens, o.Timeout)
	s.verdicts = s.reg.Counter("aigcmark_verdicts_total", "Verdicts reached, by source (request or event) and verdict (1, 2, 3, none).", "source", "verdict")
	s.failures = s.reg.Counter("aigcmark_errors_total", "Files or objects that could not be processed, by stage.", "stage")
	s.events = s.reg.Counter("aigcmark_events_total", "Event records by outcome: queued, processed, skipped (our own output), ignored (not a creation), gone, failed, interrupted (by shutdown), rejected (queue full).", "outcome")
	s.queue = httpapi.NewQueue(o.Queue, o.Workers, s.processEvent)
	s.reg.GaugeFunc("aigcmark_queue_depth", "Events queued and not started.", func() float64 { return float64(s.queue.Waiting()) })
	s.reg.GaugeFunc("aigcmark_queue_busy", "Events being processed.", func() float64 { return float64(s.queue.Busy()) })
	s.reg.GaugeFunc("aigcmark_queue_capacity", "Events that may wait (--queue).", func() float64 { return float64(s.queue.Cap()) })
	return s, nil
}

func serveProblems(ps []label.Problem) string {
	var ss []string
	for _, p := range ps {
		if p.Severity == label.Error {
			ss = append(ss, p.Message)
		}
	}
	return strings.Join(ss, "; ")
}

// Close removes the spool folder.
func (s *service) Close() error { return os.RemoveAll(s.tmp) }

// Handler returns the HTTP routes.
func (s *service) Handler() http.Handler {
	mux := http.NewServeMux()
	w := s.stack.Wrap
	mux.Handle("GET /healthz", w(httpapi.Route{Name: "healthz"}, http.HandlerFunc(s.healthz)))
	mux.Handle("GET /metrics", w(httpapi.Route{Name: "metrics", Auth: true}, s.reg))
	mux.Handle("POST /v1/verify", w(httpapi.Route{Name: "verify", Auth: true, MaxBody: s.maxBody}, http.HandlerFunc(s.handleVerify)))
	mux.Handle("POST /v1/label", w(httpapi.Route{Name: "label", Auth: true, MaxBody: s.maxBody}, http.HandlerFunc(s.handleLabel)))
	mux.Handle("POST /v1/propagate", w(httpapi.Route{Name: "propagate", Auth: true, MaxBody: s.maxBody}, http.HandlerFunc(s.handlePropagate)))
	mux.Handle("POST /v1/events", w(httpapi.Route{Name: "events", Auth: true, QueryToken: true, MaxBody: httpapi.MaxEventBody}, http.HandlerFunc(s.handleEvents)))
	mux.Handle("/", w(httpapi.Route{Name: "other"}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		httpapi.WriteError(w, http.StatusNotFound, "no route "+r.Method+" "+r.URL.Path)
	})))
	return mux
}

// serve answers on ln until ctx is done, then stops accepting, lets the
// requests in flight and the queued events finish within --grace, and
// reports (log lines and the error) what was not done.
func (s *service) serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	s.log.Info("serving", "addr", ln.Addr().String(), "workers", s.o.Workers, "queue", s.o.Queue,
		"policy", s.o.Policy, "auth", s.stack.Tokens != nil, "max_body", s.maxBody)
	select {
	case err := <-errc:
		s.queue.Shutdown(context.Background())
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	s.draining.Store(true)
	s.log.Info("shutting down", "grace", s.o.Grace.String(), "queued", s.queue.Waiting(), "busy", s.queue.Busy())
	gctx, cancel := context.WithTimeout(context.Background(), s.o.Grace)
	defer cancel()
	var errs []error
	if err := hs.Shutdown(gctx); err != nil {
		hs.Close()
		errs = append(errs, fmt.Errorf("requests still in flight after %v were cut off", s.o.Grace))
	}
	left := s.queue.Shutdown(gctx)
	for _, j := range left {
		s.log.Warn("event not processed", "bucket", j.Record.Bucket, "key", j.Record.Key, "event", j.Record.Name, "queued", j.Queued.UTC().Format(time.RFC3339))
	}
	if len(left) > 0 {
		errs = append(errs, fmt.Errorf("%d queued event(s) not processed within %v (logged as \"event not processed\"; have them sent again)", len(left), s.o.Grace))
	}
	s.log.Info("stopped", "unprocessed_events", len(left))
	if len(errs) > 0 {
		return fmt.Errorf("serve: %w", errors.Join(errs...))
	}
	return nil
}

func (s *service) healthz(w http.ResponseWriter, _ *http.Request) {
	if s.draining.Load() {
		httpapi.WriteJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "draining"})
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// serveParams are a request's parameters: the query, overridden by a JSON body.
type serveParams struct {
	URL         string `json:"url"`
	Out         string `json:"out"`
	Name        string `json:"name"`
	DeclaredAI  bool   `json:"declared_ai"`
	Label       string `json:"label"`
	Producer    string `json:"producer"`
	ProduceID   string `json:"produce_id"`
	Propagator  string `json:"propagator"`
	PropagateID string `json:"propagate_id"`
	Position    string `json:"position"`
	Notice      bool   `json:"notice"`
	Lenient     bool   `json:"lenient"`
	IPTC        *bool  `json:"iptc"`
}

// srvError is an error with the status code it answers with.
type srvError struct {
	code int
	msg  string
}

func (e *srvError) Error() string { return e.msg }

func srvErrorf(code int, format string, args ...any) error {
	return &srvError{code, fmt.Sprintf(format, args...)}
}

func (s *service) fail(w http.ResponseWriter, r *http.Request, stage string, err error) {
	code := http.StatusInternalServerError
	var he *srvError
	switch {
	case errors.As(err, &he):
		code = he.code
	case httpapi.IsTooLarge(err):
		code = http.StatusRequestEntityTooLarge
	case errors.Is(err, context.DeadlineExceeded):
		code = http.StatusGatewayTimeout
	case errors.Is(err, storage.ErrNotExist), errors.Is(err, storage.ErrNoBucket):
		code = http.StatusNotFound
	case errors.Is(err, storage.ErrPermission):
		code = http.StatusForbidden
	case errors.Is(err, storage.ErrInvalid):
		code = http.StatusBadRequest
	}
	if code >= 500 || code == http.StatusUnprocessableEntity {
		s.failures.Inc(stage)
		s.log.Warn("request failed", "request_id", httpapi.RequestID(r.Context()), "route", stage, "status", code, "error", err.Error())
	}
	if code == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "1")
	}
	httpapi.WriteError(w, code, err.Error())
}

// serveInput is a request's file, spooled to disk.
type serveInput struct {
	p       serveParams
	dir     string // the request's folder under the spool
	rel     string // dir relative to the spool
	path    string // the file
	name    string // its base name
	display string // what reports call it: the URL or the name
	ctype   string // Content-Type of the serveInput
	obj     *storage.Object
}

func (in *serveInput) cleanup() { os.RemoveAll(in.dir) }

// readInput reads the parameters and spools the file: the body, or the
// object a JSON body's "url" names.
func (s *service) readInput(r *http.Request) (*serveInput, error) {
	in := &serveInput{}
	q := r.URL.Query()
	in.p = serveParams{URL: q.Get("url"), Out: q.Get("out"), Name: q.Get("name"), Label: q.Get("label"), Producer: q.Get("producer"),
		ProduceID: q.Get("produce_id"), Propagator: q.Get("propagator"), PropagateID: q.Get("propagate_id"), Position: q.Get("position")}
	for name, dst := range map[string]*bool{"declared_ai": &in.p.DeclaredAI, "notice": &in.p.Notice, "lenient": &in.p.Lenient} {
		if v := q.Get(name); v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return nil, srvErrorf(http.StatusBadRequest, "query parameter %s=%q: want true or false", name, v)
			}
			*dst = b
		}
	}
	if v := q.Get("iptc"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return nil, srvErrorf(http.StatusBadRequest, "query parameter iptc=%q: want true or false", v)
		}
		in.p.IPTC = &b
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	isJSON := mt == "application/json"
	if isJSON {
		dec := json.NewDecoder(io.LimitReader(r.Body, serveMaxParams))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&in.p); err != nil {
			if httpapi.IsTooLarge(err) {
				return nil, err
			}
			return nil, srvErrorf(http.StatusBadRequest, "JSON parameters: %v", err)
		}
		if in.p.URL == "" {
			return nil, srvErrorf(http.StatusBadRequest, "a JSON body must name the object: {\"url\":\"s3://bucket/key\"}; post other files as the body itself")
		}
	} else if in.p.URL != "" {
		return nil, srvErrorf(http.StatusBadRequest, "url is a JSON parameter: post {\"url\":\"s3://bucket/key\"} with Content-Type: application/json")
	}
	dir, err := os.MkdirTemp(s.tmp, "req-*")
	if err != nil {
		return nil, err
	}
	in.dir = dir
	in.rel = filepath.Base(dir)
	ok := false
	defer func() {
		if !ok {
			in.cleanup()
		}
	}()
	if err := os.Mkdir(filepath.Join(dir, "in"), 0o700); err != nil {
		return nil, err
	}
	if isJSON {
		if err := s.fetch(r.Context(), in); err != nil {
			return nil, err
		}
	} else {
		in.ctype = r.Header.Get("Content-Type")
		name, err := srvUploadName(in.p.Name, mt)
		if err != nil {
			return nil, err
		}
		in.name, in.display = name, name
		in.path = filepath.Join(dir, "in", name)
		if err := srvSpool(in.path, r.Body, -1); err != nil {
			return nil, err
		}
	}
	if err := srvNameByFormat(in); err != nil {
		return nil, err
	}
	if in.ctype == "" || in.ctype == "application/octet-stream" {
		in.ctype = srvContentType(in.path)
	}
	ok = true
	return in, nil
}

// srvUploadName returns the file name of an upload: the name parameter's base
// name, or "upload" with the extension of a text Content-Type (the only
// kind that cannot be told by its first bytes).
func srvUploadName(name, mediaType string) (string, error) {
	if name == "" {
		switch mediaType {
		case "text/markdown", "text/x-markdown":
			return "upload.md", nil
		case "text/plain":
			return "upload.txt", nil
		}
		return "upload", nil
	}
	base := path.Base(strings.ReplaceAll(name, `\`, "/"))
	if base == "." || base == "/" || strings.HasPrefix(base, ".") || len(base) > 200 || strings.ContainsAny(base, "\x00") {
		return "", srvErrorf(http.StatusBadRequest, "name %q: want a plain file name such as photo.jpg", name)
	}
	return base, nil
}

// srvSpool copies r into a new file at p; limit < 0 means none (the route's
// body limit applies).
func srvSpool(p string, r io.Reader, limit int64) error {
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if limit >= 0 {
		r = io.LimitReader(r, limit+1)
	}
	n, err := io.Copy(f, r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && limit >= 0 && n > limit {
		err = srvErrorf(http.StatusRequestEntityTooLarge, "the object is larger than the %d bytes allowed (--max-body)", limit)
	}
	return err
}

// fetch spools the object in.p.URL.
func (s *service) fetch(ctx context.Context, in *serveInput) error {
	loc, err := storage.ParseLocation(in.p.URL)
	if err != nil {
		return srvErrorf(http.StatusBadRequest, "url: %v", err)
	}
	if !loc.IsS3() || loc.Key == "" || strings.HasSuffix(loc.Key, "/") {
		return srvErrorf(http.StatusBadRequest, "url %q: want s3://bucket/key naming one object", in.p.URL)
	}
	st, key, err := s.opener.Open(loc)
	if err != nil {
		return err
	}
	rd, err := st.Open(ctx, key)
	if err != nil {
		return err
	}
	defer rd.Close()
	obj := rd.Object()
	if obj.Size > s.maxBody {
		return srvErrorf(http.StatusRequestEntityTooLarge, "%s is %d bytes, more than the %d allowed (--max-body)", st.URL(key), obj.Size, s.maxBody)
	}
	in.obj = &obj
	in.name = path.Base(key)
	if strings.HasPrefix(in.name, ".") {
		in.name = "object" + in.name
	}
	in.display = st.URL(key)
	in.ctype = obj.Meta.ContentType
	in.path = filepath.Join(in.dir, "in", in.name)
	return srvSpool(in.path, rd, s.maxBody)
}

// srvNameByFormat gives an input without an extension that of its format, for
// the tools (ffmpeg) that choose by extension.
func srvNameByFormat(in *serveInput) error {
	if filepath.Ext(in.name) != "" {
		return nil
	}
	f, format, err := openFormat(in.path)
	if err != nil {
		return nil // reported by the command
	}
	f.Close()
	ext := "." + format.Name()
	switch format.Name() {
	case "jpeg":
		ext = ".jpg"
	case "markdown":
		ext = ".md"
	}
	p := in.path + ext
	if err := os.Rename(in.path, p); err != nil {
		return err
	}
	in.path, in.name = p, in.name+ext
	if in.obj == nil {
		in.display = in.name
	}
	return nil
}

// srvContentType returns the media type of the file at p by its format.
func srvContentType(p string) string {
	f, format, err := openFormat(p)
	if err != nil {
		return "application/octet-stream"
	}
	f.Close()
	switch format.Name() {
	case "jpeg", "png", "webp", "gif":
		return "image/" + format.Name()
	case "mp4":
		return "video/mp4"
	case "wav":
		return "audio/wav"
	case "flac":
		return "audio/flac"
	case "ogg":
		return "audio/ogg"
	case "mp3":
		return "audio/mpeg"
	case "markdown":
		return "text/markdown; charset=utf-8"
	}
	return "application/octet-stream"
}

// acquire waits for a request slot.
func (s *service) acquire(ctx context.Context) (func(), error) {
	select {
	case s.slots <- struct{}{}:
		return func() { <-s.slots }, nil
	case <-ctx.Done():
		return nil, srvErrorf(http.StatusServiceUnavailable, "busy: no slot free within the request's time limit")
	}
}

func (s *service) handleVerify(w http.ResponseWriter, r *http.Request) {
	in, err := s.readInput(r)
	if err != nil {
		s.fail(w, r, "verify", err)
		return
	}
	defer in.cleanup()
	release, err := s.acquire(r.Context())
	if err != nil {
		s.fail(w, r, "verify", err)
		return
	}
	defer release()
	v := s.v
	if in.p.DeclaredAI {
		v = s.vAI
	}
	rep := v.check(r.Context(), fileset.File{Path: in.path, Rel: in.name, Explicit: true})
	rep.Path = in.display
	if err := r.Context().Err(); err != nil {
		s.fail(w, r, "verify", err)
		return
	}
	code := http.StatusOK
	if rep.Error != nil {
		code = http.StatusUnprocessableEntity
		s.failures.Inc("verify")
		s.log.Info("file not verified", "request_id", httpapi.RequestID(r.Context()), "file", in.display, "error", *rep.Error)
	} else {
		s.verdicts.Inc("request", rep.Verdict.Label)
	}
	httpapi.WriteJSON(w, code, rep)
}

// labelSetup returns the explicit-label setup drawing at position.
func (s *service) labelSetup(position string) (*explicitSetup, error) {
	if position == "" {
		position = "bottom-right"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if ex, ok := s.setups[position]; ok {
		return ex, nil
	}
	ex, err := explicitOptions{Mode: "auto", Text: visible.DefaultText, Position: position, Size: visible.DefaultSize,
		MaxPixels: s.o.MaxPixels, CRF: video.DefaultCRF, Preset: video.DefaultPreset, AudioCue: "start",
		AudioCueMode: "insert", Prompt: visible.DefaultPrompt, PromptPosition: "start"}.setup()
	if err != nil {
		return nil, srvErrorf(http.StatusBadRequest, "%v", err)
	}
	if len(s.setups) < 16 {
		s.setups[position] = ex
	}
	return ex, nil
}

func (s *service) handleLabel(w http.ResponseWriter, r *http.Request) {
	in, err := s.readInput(r)
	if err != nil {
		s.fail(w, r, "label", err)
		return
	}
	defer in.cleanup()
	p := in.p
	if p.Producer == "" {
		s.fail(w, r, "label", srvErrorf(http.StatusBadRequest, "producer is required: the generation service's provider code or name"))
		return
	}
	o := labelOptions{Label: p.Label, Producer: p.Producer, ProduceID: p.ProduceID, Propagator: p.Propagator,
		PropagateID: p.PropagateID, Out: s.tmp, Jobs: 1, Lenient: p.Lenient, IPTC: p.IPTC == nil || *p.IPTC}
	if o.Label == "" {
		o.Label = "1"
	}
	mode := label.Strict
	if o.Lenient {
		mode = label.Lenient
	}
	id := o.ProduceID
	if id == "" {
		id = "00000000000000000000000000000000"
	}
	if ps := label.Validate(o.build(id), mode); label.HasErrors(ps) {
		s.fail(w, r, "label", srvErrorf(http.StatusBadRequest, "the label values do not conform to GB 45438 Annex E: %s", serveProblems(ps)))
		return
	}
	ex, err := s.labelSetup(p.Position)
	if err != nil {
		s.fail(w, r, "label", err)
		return
	}
	release, err := s.acquire(r.Context())
	if err != nil {
		s.fail(w, r, "label", err)
		return
	}
	defer release()
	t0 := time.Now()
	rel := filepath.Join(in.rel, "out", in.name)
	res := labelOne(r.Context(), o, ex, nil, fileset.File{Path: in.path, Rel: rel, Explicit: true}, nil)
	if res.err != nil {
		s.fail(w, r, "label", srvCommandError(r.Context(), res.err, in.path))
		return
	}
	line := reportLine{Input: in.display, Format: strPtr(res.format), Kind: strPtr(res.kind), Applied: res.applied,
		ProduceID: strPtr(res.id), Watermark: strPtr(res.watermark), DurationMS: time.Since(t0).Milliseconds()}
	w.Header().Set("X-Aigcmark-Produce-Id", res.id)
	if p.Out == "" {
		s.sendFile(w, r, res.out, in.ctype)
		return
	}
	url, err := s.upload(r.Context(), p.Out, in, res.out, "label")
	if err != nil {
		s.fail(w, r, "label", err)
		return
	}
	line.Output = &url
	httpapi.WriteJSON(w, http.StatusOK, line)
}

// srvCommandError turns an error of labelOne or propagator.one into one with
// a status code.
func srvCommandError(ctx context.Context, err error, path string) error {
	if cerr := ctx.Err(); cerr != nil {
		return cerr
	}
	msg := describe(err, path)
	if errors.Is(err, label.ErrUnknownFormat) {
		return srvErrorf(http.StatusUnsupportedMediaType, "%s", msg)
	}
	return srvErrorf(http.StatusUnprocessableEntity, "%s", msg)
}

// propagatorFor returns a propagator with the request's parameters.
func (s *service) propagatorFor(code, id string, notice bool, position string) (*propagator, error) {
	if position == "" {
		position = "top-left"
	}
	if _, err := visible.ParsePosition(position); err != nil {
		return nil, srvErrorf(http.StatusBadRequest, "position: %v", err)
	}
	o := propagateOptions{verify: s.v.o, Propagator: code, PropagateID: id, Notice: notice, Position: position, Out: s.tmp}
	if id != "" {
		return &propagator{o: o, v: s.v, signer: s.signer, notices: map[string]*explicitSetup{}}, nil
	}
	k := srvPropKey{code, position, notice}
	s.mu.Lock()
	defer s.mu.Unlock()
	if p, ok := s.props[k]; ok {
		return p, nil
	}
	p := &propagator{o: o, v: s.v, signer: s.signer, notices: map[string]*explicitSetup{}}
	if len(s.props) < 64 {
		s.props[k] = p
	}
	return p, nil
}

func (s *service) handlePropagate(w http.ResponseWriter, r *http.Request) {
	in, err := s.readInput(r)
	if err != nil {
		s.fail(w, r, "propagate", err)
		return
	}
	defer in.cleanup()
	p := in.p
	if p.Propagator == "" {
		p.Propagator = s.o.Propagator
	}
	if p.Propagator == "" {
		s.fail(w, r, "propagate", srvErrorf(http.StatusBadRequest, "propagator is required (or start serve with --propagator)"))
		return
	}
	probe := label.Label{Label: "1", ContentProducer: "x", ProduceID: "x", ContentPropagator: p.Propagator, PropagateID: p.PropagateID}
	if probe.PropagateID == "" {
		probe.PropagateID = "00000000000000000000000000000000"
	}
	if ps := label.Validate(probe, label.Strict); label.HasErrors(ps) {
		s.fail(w, r, "propagate", srvErrorf(http.StatusBadRequest, "the propagation values do not conform to GB 45438 Annex E: %s", serveProblems(ps)))
		return
	}
	prop, err := s.propagatorFor(p.Propagator, p.PropagateID, p.Notice, p.Position)
	if err != nil {
		s.fail(w, r, "propagate", err)
		return
	}
	if p.DeclaredAI {
		prop = &propagator{o: prop.o, v: s.vAI, signer: s.signer, notices: map[string]*explicitSetup{}}
		prop.o.verify = s.vAI.o
	}
	release, err := s.acquire(r.Context())
	if err != nil {
		s.fail(w, r, "propagate", err)
		return
	}
	defer release()
	t0 := time.Now()
	rel := filepath.Join(in.rel, "out", in.name)
	line := prop.one(r.Context(), fileset.File{Path: in.path, Rel: rel, Explicit: true}, nil)
	line.Input, line.DurationMS = in.display, time.Since(t0).Milliseconds()
	if line.Error != nil {
		s.fail(w, r, "propagate", srvCommandError(r.Context(), errors.New(*line.Error), in.path))
		return
	}
	s.verdicts.Inc("request", *line.Verdict)
	w.Header().Set("X-Aigcmark-Verdict", *line.Verdict)
	if line.PropagateID != nil {
		w.Header().Set("X-Aigcmark-Propagate-Id", *line.PropagateID)
	}
	if p.Out == "" {
		s.sendFile(w, r, *line.Output, in.ctype)
		return
	}
	url, err := s.upload(r.Context(), p.Out, in, *line.Output, "propagate")
	if err != nil {
		s.fail(w, r, "propagate", err)
		return
	}
	line.Output = &url
	httpapi.WriteJSON(w, http.StatusOK, line)
}

// sendFile answers with the file at p.
func (s *service) sendFile(w http.ResponseWriter, r *http.Request, p, ctype string) {
	f, err := os.Open(p)
	if err != nil {
		s.fail(w, r, "respond", err)
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		s.fail(w, r, "respond", err)
		return
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Length", strconv.FormatInt(st.Size(), 10))
	w.WriteHeader(http.StatusOK)
	if _, err := io.Copy(w, f); err != nil {
		s.log.Info("response cut short", "request_id", httpapi.RequestID(r.Context()), "error", err.Error())
	}
}

// upload writes the file at p to the s3:// location out (a key, or a
// prefix ending in "/" the input's name goes under), with the source's
// metadata and the output mark, and returns its URL.
func (s *service) upload(ctx context.Context, out string, in *serveInput, p, kind string) (string, error) {
	loc, err := storage.ParseLocation(out)
	if err != nil {
		return "", srvErrorf(http.StatusBadRequest, "out: %v", err)
	}
	if !loc.IsS3() {
		return "", srvErrorf(http.StatusBadRequest, "out %q: want s3://bucket/key or s3://bucket/prefix/", out)
	}
	key := loc.Key
	if key == "" || strings.HasSuffix(key, "/") {
		key += in.name
	}
	st, err := s.storeFor(loc.Bucket)
	if err != nil {
		return "", err
	}
	meta := storage.Metadata{ContentType: in.ctype}
	if in.obj != nil {
		meta = in.obj.Meta.ForOutput(in.obj.ETag)
		if meta.ContentType == "" {
			meta.ContentType = in.ctype
		}
	} else if meta.User == nil {
		meta.User = map[string]string{}
	}
	meta.User[serveOutputKey] = kind
	if err := srvPut(ctx, st, key, p, meta); err != nil {
		return "", err
	}
	return st.URL(key), nil
}

func (s *service) storeFor(bucket string) (storage.Store, error) {
	c, err := s.opener.S3()
	if err != nil {
		return nil, err
	}
	return c.Bucket(bucket), nil
}

// srvPut uploads the file at p to key in st.
func srvPut(ctx context.Context, st storage.Store, key, p string, meta storage.Metadata) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	wr, err := st.Create(ctx, key, meta)
	if err != nil {
		return err
	}
	defer wr.Abort()
	if _, err := io.Copy(wr, f); err != nil {
		return err
	}
	_, err = wr.Commit()
	return err
}

func (s *service) handleEvents(w http.ResponseWriter, r *http.Request) {
	data, err := io.ReadAll(r.Body)
	if err != nil {
		s.fail(w, r, "events", err)
		return
	}
	n, err := httpapi.ParseEvents(data)
	if err != nil {
		s.fail(w, r, "events", srvErrorf(http.StatusBadRequest, "%v", err))
		return
	}
	if n.Test {
		httpapi.WriteJSON(w, http.StatusOK, map[string]any{"test": true})
		return
	}
	var jobs []srvEvent
	ignored, skipped := 0, 0
	now := time.Now()
	for _, rec := range n.Records {
		switch {
		case !rec.Created():
			ignored++
		case s.underOutput(rec):
			skipped++
		default:
			jobs = append(jobs, srvEvent{Record: rec, Queued: now})
		}
	}
	s.events.Add(uint64(ignored), "ignored")
	s.events.Add(uint64(skipped), "skipped")
	if len(jobs) > 0 && !s.queue.Offer(jobs...) {
		s.events.Add(uint64(len(jobs)), "rejected")
		w.Header().Set("Retry-After", strconv.Itoa(s.retryAfter()))
		httpapi.WriteError(w, http.StatusServiceUnavailable, fmt.Sprintf("the event queue is full (%d waiting of %d): send again later", s.queue.Waiting(), s.queue.Cap()))
		return
	}
	s.events.Add(uint64(len(jobs)), "queued")
	httpapi.WriteJSON(w, http.StatusAccepted, map[string]int{"queued": len(jobs), "ignored": ignored, "skipped": skipped})
}

// retryAfter estimates, in whole seconds, when the queue will have room.
func (s *service) retryAfter() int {
	s.mu.Lock()
	avg := s.eventSecs
	s.mu.Unlock()
	if avg == 0 {
		avg = 1
	}
	secs := avg * float64(s.queue.Waiting()) / float64(s.o.Workers) / 2
	return int(min(max(math.Ceil(secs), 1), 60))
}

// underOutput reports whether any key the record may stand for lies under
// the output prefix of the propagate policy: serve's own output.
func (s *service) underOutput(rec httpapi.Record) bool {
	if !s.prop || (s.out.Bucket != "" && s.out.Bucket != rec.Bucket) {
		return false
	}
	for _, k := range rec.KeyCandidates() {
		if s.out.Key != "" && strings.HasPrefix(k, s.out.Key) {
			return true
		}
	}
	return false
}

// processEvent verifies one created object and applies the policy. It runs
// on the queue's workers.
func (s *service) processEvent(ctx context.Context, j srvEvent) {
	if s.testBefore != nil {
		s.testBefore(ctx, j)
	}
	t0 := time.Now()
	ctx, cancel := context.WithTimeout(ctx, s.o.Timeout)
	defer cancel()
	rec := j.Record
	log := s.log.With("bucket", rec.Bucket, "event", rec.Name)
	outcome, err := s.applyPolicy(ctx, rec, log)
	d := time.Since(t0)
	s.mu.Lock()
	if s.eventSecs == 0 {
		s.eventSecs = d.Seconds()
	} else {
		s.eventSecs = 0.8*s.eventSecs + 0.2*d.Seconds()
	}
	s.mu.Unlock()
	if err != nil && ctx.Err() != nil && !errors.Is(ctx.Err(), context.DeadlineExceeded) {
		// Shutdown's grace period ended: the queue hands the event back.
		s.events.Inc("interrupted")
		log.Info("event interrupted by shutdown", "key", rec.Key)
		return
	}
	if err != nil {
		s.events.Inc("failed")
		s.failures.Inc("event")
		log.Warn("event failed", "key", rec.Key, "error", err.Error(), "duration_ms", d.Milliseconds())
		return
	}
	s.events.Inc(outcome)
}

func (s *service) applyPolicy(ctx context.Context, rec httpapi.Record, log *slog.Logger) (string, error) {
	st, err := s.storeFor(rec.Bucket)
	if err != nil {
		return "", err
	}
	var obj storage.Object
	key := ""
	for _, k := range rec.KeyCandidates() {
		if storage.CheckKey(k) != nil {
			continue
		}
		o, err := st.Stat(ctx, k)
		if err == nil {
			obj, key = o, k
			break
		}
		if !errors.Is(err, storage.ErrNotExist) || errors.Is(err, storage.ErrNoBucket) {
			return "", err
		}
	}
	if key == "" {
		log.Info("event object gone", "key", rec.Key)
		return "gone", nil
	}
	log = log.With("key", key)
	if obj.Meta.User[serveOutputKey] != "" {
		log.Debug("skipping our own output")
		return "skipped", nil
	}
	if obj.Size > s.maxBody {
		return "", fmt.Errorf("%s is %d bytes, more than the %d allowed (--max-body)", st.URL(key), obj.Size, s.maxBody)
	}
	dir, err := os.MkdirTemp(s.tmp, "event-*")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	in := &serveInput{dir: dir, rel: filepath.Base(dir), name: path.Base(key), display: st.URL(key), obj: &obj, ctype: obj.Meta.ContentType}
	if strings.HasPrefix(in.name, ".") {
		in.name = "object" + in.name
	}
	in.path = filepath.Join(dir, in.name)
	rd, err := st.Open(ctx, key)
	if err != nil {
		return "", err
	}
	err = srvSpool(in.path, rd, s.maxBody)
	rd.Close()
	if err != nil {
		return "", err
	}
	if err := srvNameByFormat(in); err != nil {
		return "", err
	}
	file := fileset.File{Path: in.path, Rel: filepath.Join(in.rel, "out", in.name), Explicit: true}

	var label string
	var outURL string
	if s.prop {
		outStore, outKey := st, storage.OutputKey(s.out.Key, key)
		if s.out.Bucket != "" {
			if outStore, err = s.storeFor(s.out.Bucket); err != nil {
				return "", err
			}
		}
		done, err := storage.Done(ctx, outStore, outKey, obj)
		if err != nil {
			return "", err
		}
		if !done {
			p, err := s.propagatorFor(s.o.Propagator, "", false, "")
			if err != nil {
				return "", err
			}
			line := p.one(ctx, file, nil)
			if line.Error != nil {
				return "", errors.New(*line.Error)
			}
			label = *line.Verdict
			meta := obj.Meta.ForOutput(obj.ETag)
			meta.User[serveOutputKey] = "propagate"
			if err := srvPut(ctx, outStore, outKey, *line.Output, meta); err != nil {
				return "", err
			}
			outURL = outStore.URL(outKey)
		}
	}
	if label == "" {
		rep := s.v.check(ctx, file)
		if rep.Error != nil {
			return "", errors.New(*rep.Error)
		}
		label = rep.Verdict.Label
	}
	if s.tag {
		tags, err := st.Tags(ctx, key)
		if err != nil {
			return "", err
		}
		tags[serveTagLabel] = label
		tags[serveTagChecked] = time.Now().UTC().Format(time.RFC3339)
		if err := st.SetTags(ctx, key, tags); err != nil {
			return "", err
		}
	}
	s.verdicts.Inc("event", label)
	log.Info("event processed", "etag", obj.ETag, "verdict", label, "tagged", s.tag, "output", outURL)
	return "processed", nil
}
