// Package memlimit gives the process a soft memory limit that follows its live heap.
//
// A campaign allocates a lot of short-lived memory (each attestation's PDF, its
// signature, its mail) around a live heap of about 40 MB for 10,000 students. With
// the default GOGC=100 alone the heap grows to twice the live heap before each
// collection, and the runtime hands freed memory back to the system slowly: the
// 10,000-student benchmark peaked at 172–177 MB of RSS. A soft limit
// (debug.SetMemoryLimit) makes the collector run earlier and return memory sooner;
// with GOMEMLIMIT=64MiB the same benchmark peaked at 140 MB for the same CPU time
// (docs/performance.md).
//
// A fixed limit below the live heap would make the collector run continuously
// (capped at half the CPU by the runtime): a larger campaign would crawl. So the limit
// follows the live heap: Floor, or 1.5 × the live heap when that is more (the heap
// then grows by half its live size between collections, GOGC=50), re-read after each
// collection. An operator's GOMEMLIMIT is left alone.
package memlimit

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
)

// Floor is the limit while the live heap is under 43 MB.
const Floor = 64 << 20

// For is the limit for a live heap of live bytes.
func For(live uint64) int64 {
	return max(Floor, int64(live/2*3))
}

// Start sets the limit and keeps it following the live heap, unless GOMEMLIMIT is
// set. It returns at once.
func Start() {
	if os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	debug.SetMemoryLimit(Floor)
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	var follow func()
	follow = func() { // once per collection: the sentinel's finalizer runs after each
		metrics.Read(sample)
		if sample[0].Value.Kind() == metrics.KindUint64 {
			debug.SetMemoryLimit(For(sample[0].Value.Uint64()))
		}
		runtime.SetFinalizer(new(sentinel), func(*sentinel) { follow() })
	}
	runtime.SetFinalizer(new(sentinel), func(*sentinel) { follow() })
}

// sentinel is garbage at once: its finalizer marks the end of a collection.
type sentinel struct{ _ [16]byte }
