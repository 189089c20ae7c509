package memlimit

import (
	"math"
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

// The limit is never below the live heap (no collector running without end), and
// never below Floor.
func TestLimitFollowsTheLiveHeap(t *testing.T) {
	for _, live := range []uint64{0, 10 << 20, 32 << 20, 40 << 20, 100 << 20, 1 << 30} {
		got := For(live)
		if got < Floor {
			t.Errorf("For(%d MB) = %d MB, below the floor", live>>20, got>>20)
		}
		if got < int64(live/2*3) {
			t.Errorf("For(%d MB) = %d MB, less than 1.5 × the live heap", live>>20, got>>20)
		}
	}
	if got := For(20 << 20); got != Floor {
		t.Errorf("For(20 MB) = %d MB, want the floor", got>>20)
	}
}

// Start leaves an operator's GOMEMLIMIT alone; otherwise the limit starts at Floor and,
// once the live heap passes 43 MB, is raised after a collection (the finalizer chain
// runs after each one): a fixed 64 MB would leave the collector running without end.
func TestStartFollowsTheLiveHeap(t *testing.T) {
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))

	t.Setenv("GOMEMLIMIT", "1GiB")
	debug.SetMemoryLimit(math.MaxInt64)
	Start()
	if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
		t.Fatalf("GOMEMLIMIT set: limit %d, want it left alone", got)
	}

	t.Setenv("GOMEMLIMIT", "")
	Start()
	if got := debug.SetMemoryLimit(-1); got != Floor {
		t.Fatalf("limit %d after Start, want Floor %d", got, Floor)
	}
	live := make([][]byte, 96) // 96 MB live: the limit must rise to 144 MB or more
	for i := range live {
		live[i] = make([]byte, 1<<20)
	}
	raised := false
	for range 200 { // the finalizer runs on its own goroutine after the collection
		runtime.GC()
		if debug.SetMemoryLimit(-1) >= 96<<20*3/2 {
			raised = true
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	runtime.KeepAlive(live)
	if !raised {
		t.Errorf("limit %d MB with 96 MB live, want ≥ 144 MB", debug.SetMemoryLimit(-1)>>20)
	}
}
