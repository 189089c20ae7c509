package memlimit

import "testing"

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
