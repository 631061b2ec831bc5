// Package httpapi is the HTTP plumbing of `aigcmark serve`: bearer-token
// authentication with constant-time comparison ([Tokens]), Prometheus
// metrics written by hand in the text exposition format ([Registry],
// https://prometheus.io/docs/instrumenting/exposition_formats/), a
// middleware stack that adds body limits, per-request timeouts, metrics
// and structured logs to each route ([Stack]), the S3 event notification
// format of AWS, MinIO and versitygw ([ParseEvents],
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html),
// a bounded work queue that refuses rather than grows and drains on
// shutdown ([Queue]), and human sizes such as "512MiB" ([ParseSize]).
//
// It knows nothing of labels or verification: cmd/aigcmark wires it to
// them.
package httpapi
