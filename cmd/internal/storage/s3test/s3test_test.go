package s3test_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aigcmark/aigcmark/cmd/internal/storage/s3test"
	"github.com/minio/minio-go/v7"
)

// TestEventWebhook: with EventWebhookURL set, an uploaded object is
// announced in the S3 event notification format that serve will accept.
func TestEventWebhook(t *testing.T) {
	events := make(chan []byte, 10)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		events <- b
	}))
	defer hook.Close()
	srv := s3test.Start(t, s3test.Options{Buckets: []string{"events"}, EventWebhookURL: hook.URL})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := srv.Client.PutObject(ctx, "events", "in/a.jpg", bytes.NewReader([]byte("jpeg")), 4, minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	// The object is stored as a file in the posix backend's folder.
	if b, err := os.ReadFile(filepath.Join(srv.DataDir, "events", "in", "a.jpg")); err != nil || string(b) != "jpeg" {
		t.Errorf("backend file = %q, %v", b, err)
	}
	for {
		select {
		case b := <-events:
			var n struct {
				Event   string // versitygw's start-up s3:TestEvent
				Records []struct {
					EventName string
					S3        struct {
						Bucket struct{ Name string }
						Object struct{ Key string }
					}
				}
			}
			if err := json.Unmarshal(b, &n); err != nil {
				t.Fatalf("event %s: %v", b, err)
			}
			if n.Event == "s3:TestEvent" {
				continue
			}
			if len(n.Records) == 0 {
				t.Fatalf("event without records: %s", b)
			}
			r := n.Records[0]
			if r.S3.Bucket.Name != "events" || r.S3.Object.Key != "in/a.jpg" {
				t.Errorf("event names %s/%s: %s", r.S3.Bucket.Name, r.S3.Object.Key, b)
			}
			t.Logf("event: %s", b)
			return
		case <-ctx.Done():
			t.Fatalf("no event posted; versitygw output:\n%s", srv.Output())
		}
	}
}
