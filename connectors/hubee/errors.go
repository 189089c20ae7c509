package hubee

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"hypercerts/domain"
)

// APIError is an answer of the hub other than a success: the HTTP status, the codes and
// messages of its error body. It unwraps to domain.ErrNotFound (404), domain.ErrTransient
// (5xx, 408, 429, a 401 that could not be replayed) or domain.ErrPermanent (other 4xx).
type APIError struct {
	Op       string // operationId of the contract, e.g. "getCaseById"
	Method   string
	Path     string
	Status   int
	Codes    []int64
	Messages []string
	Kind     error
	// RetryAfter is the wait a 429 or 503 asked for (Retry-After), 0 if none.
	RetryAfter time.Duration
}

// Error puts the hub's own words before the request, so that a reason shown cut
// (a list, a pane) still says what the hub answered.
func (e *APIError) Error() string {
	s := fmt.Sprintf("HubEE %s : HTTP %d", e.Op, e.Status)
	if len(e.Messages) > 0 {
		s += " : " + strings.Join(e.Messages, " ; ")
	}
	return s + fmt.Sprintf(" (%s %s)", e.Method, e.Path)
}

// Unwrap gives the domain classification.
func (e *APIError) Unwrap() error { return e.Kind }

// HasCode reports whether the hub returned that code in the error body.
func (e *APIError) HasCode(code int64) bool {
	for _, c := range e.Codes {
		if c == code {
			return true
		}
	}
	return false
}

// DigestError is a download whose SHA-256 does not match the hub's `digest` header. The
// bytes must be discarded; it unwraps to domain.ErrTransient (a new download may succeed).
type DigestError struct {
	Op       string
	Path     string
	Expected string // base64 SHA-256 announced by the hub
	Got      string // base64 SHA-256 of the bytes received
}

func (e *DigestError) Error() string {
	return fmt.Sprintf("HubEE %s : %s : empreinte SHA-256 incorrecte (annoncée %s, reçue %s) : fichier rejeté",
		e.Op, e.Path, e.Expected, e.Got)
}

// Unwrap classifies a digest mismatch as transient.
func (e *DigestError) Unwrap() error { return domain.ErrTransient }

// kindOf classifies an HTTP status.
func kindOf(status int) error {
	switch {
	case status == http.StatusNotFound:
		return domain.ErrNotFound
	case status >= 500, status == http.StatusRequestTimeout, status == http.StatusTooManyRequests:
		return domain.ErrTransient
	default:
		return domain.ErrPermanent
	}
}

// apiError reads an error answer (at most 64 KiB of it) into an *APIError.
func apiError(op string, req *http.Request, resp *http.Response) *APIError {
	e := &APIError{Op: op, Method: req.Method, Path: req.URL.Path, Status: resp.StatusCode, Kind: kindOf(resp.StatusCode)}
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
		e.RetryAfter = retryAfter(resp.Header.Get("Retry-After"), time.Now())
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var body ErrorBody
	if len(b) > 0 && json.Unmarshal(b, &body) == nil && len(body.Errors) > 0 {
		for _, it := range body.Errors {
			e.Codes = append(e.Codes, int64(it.Code))
			e.Messages = append(e.Messages, it.Message)
		}
	} else if t := strings.TrimSpace(string(b)); t != "" && len(t) < 500 {
		e.Messages = append(e.Messages, t)
	}
	return e
}

// transportError wraps a network failure (timeout, refused connection) as transient.
func transportError(op string, err error) error {
	return &domain.ExternalError{System: "HubEE", Op: op, Kind: domain.ErrTransient, Err: err}
}

// IsStatus reports whether err is an *APIError with that HTTP status.
func IsStatus(err error, status int) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Status == status
}

// retryAfter reads a Retry-After header: seconds or an HTTP date (RFC 9110 §10.2.3).
func retryAfter(h string, now time.Time) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	if n, err := strconv.Atoi(h); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
