package gateway

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/authgate/authgate/api"
	"github.com/authgate/authgate/reason"
)

// trafficMinutes is how many minutes the traffic timeline keeps (a day:
// the console's longest window).
const trafficMinutes = 24 * 60

// traffic counts finished requests per minute for the last day: by
// outcome with atomics (allowed requests pay two atomic adds), and the
// refused ones by reason under a lock. It counts the same events as
// authgate_requests_total, so the console's numbers match /metrics.
type traffic struct {
	buckets [trafficMinutes]trafficBucket
}

type trafficBucket struct {
	// minute is the Unix minute the bucket counts (0: never used).
	minute   atomic.Int64
	outcomes [3]atomic.Int64
	mu       sync.Mutex
	byReason map[string]int
}

// outcomeIndex orders api.OutcomeAllowed, Denied and Fault.
func outcomeIndex(outcome string) int {
	switch outcome {
	case api.OutcomeDenied:
		return 1
	case api.OutcomeFault:
		return 2
	}
	return 0
}

// bucket returns the bucket of minute, emptied first if it last counted
// an older minute.
func (t *traffic) bucket(minute int64) *trafficBucket {
	b := &t.buckets[minute%trafficMinutes]
	if b.minute.Load() == minute {
		return b
	}
	b.mu.Lock()
	if b.minute.Load() != minute {
		for i := range b.outcomes {
			b.outcomes[i].Store(0)
		}
		b.byReason = nil
		b.minute.Store(minute)
	}
	b.mu.Unlock()
	return b
}

// add counts one request finished at, refused by err (nil: none).
func (t *traffic) add(at time.Time, outcome string, err *reason.Error) {
	b := t.bucket(at.Unix() / 60)
	b.outcomes[outcomeIndex(outcome)].Add(1)
	if err == nil {
		return
	}
	b.mu.Lock()
	if b.byReason == nil {
		b.byReason = map[string]int{}
	}
	b.byReason[string(err.Code)]++
	b.mu.Unlock()
}

// last returns the minutes up to now (at most trafficMinutes), oldest
// first; minutes without requests are there with zero counts.
func (t *traffic) last(now time.Time, minutes int) api.Traffic {
	minutes = min(max(minutes, 1), trafficMinutes)
	out := api.Traffic{Minutes: make([]api.TrafficMinute, 0, minutes)}
	end := now.Unix() / 60
	for m := end - int64(minutes) + 1; m <= end; m++ {
		tm := api.TrafficMinute{Start: time.Unix(m*60, 0).UTC()}
		b := &t.buckets[m%trafficMinutes]
		b.mu.Lock()
		if b.minute.Load() == m {
			tm.Allowed, tm.Denied, tm.Fault = b.outcomes[0].Load(), b.outcomes[1].Load(), b.outcomes[2].Load()
			if len(b.byReason) > 0 {
				tm.ByReason = make(map[string]int, len(b.byReason))
				for k, v := range b.byReason {
					tm.ByReason[k] = v
				}
			}
		}
		b.mu.Unlock()
		out.Minutes = append(out.Minutes, tm)
	}
	return out
}

// Traffic returns the last hour of requests, minute by minute.
func (s *State) Traffic(now time.Time) api.Traffic { return s.Metrics.traffic.last(now, 60) }

// TrafficWindow returns the last minutes of requests (at most a day),
// minute by minute.
func (s *State) TrafficWindow(now time.Time, minutes int) api.Traffic {
	return s.Metrics.traffic.last(now, minutes)
}
