package hubee

import (
	"context"
	"time"
)

// SetSleep replaces the client's waits (tests record them instead of sleeping).
func SetSleep(c *Client, f func(ctx context.Context, d time.Duration) error) { c.sleep = f }
