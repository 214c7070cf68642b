"""Rate limiters: client-go's per-item exponential back-off, token bucket, and their maximum."""

from __future__ import annotations

import pytest

from kubeling.client.ratelimit import (
    BucketRateLimiter,
    ItemExponentialFailureRateLimiter,
    MaxOfRateLimiter,
    TokenBucket,
    default_controller_rate_limiter,
)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_exponential_doubles_per_item_up_to_the_cap() -> None:
    """5 ms, 10 ms, 20 ms... per item, capped; other items start over; forget resets."""
    limiter = ItemExponentialFailureRateLimiter(0.005, 1.0)
    delays = [limiter.when("a") for _ in range(10)]
    assert delays == pytest.approx([0.005, 0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.0, 1.0])
    assert limiter.num_requeues("a") == 10
    assert limiter.when("b") == pytest.approx(0.005)
    limiter.forget("a")
    assert limiter.num_requeues("a") == 0
    assert limiter.when("a") == pytest.approx(0.005)


def test_exponential_stays_finite_after_very_many_failures() -> None:
    """Thousands of failures still give the cap, not an overflow."""
    limiter = ItemExponentialFailureRateLimiter(0.005, 1000.0)
    for _ in range(5000):
        delay = limiter.when("k")
    assert delay == 1000.0


def test_token_bucket_reserves_into_the_future() -> None:
    """A full bucket of ``burst`` answers 0; beyond it each token is 1/qps further away."""
    clock = FakeClock()
    bucket = TokenBucket(10.0, 3, now=clock)
    assert [bucket.reserve() for _ in range(3)] == [0.0, 0.0, 0.0]
    assert [bucket.reserve() for _ in range(3)] == pytest.approx([0.1, 0.2, 0.3])
    clock.now += 1.0  # refills 10 tokens, minus the 3 borrowed, capped at burst
    assert [bucket.reserve() for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.reserve() == pytest.approx(0.1)


def test_token_bucket_try_accept_never_borrows() -> None:
    """try_accept takes a token only if one is there; time refills them."""
    clock = FakeClock()
    bucket = TokenBucket(1.0, 2, now=clock)
    assert [bucket.try_accept() for _ in range(3)] == [True, True, False]
    clock.now += 0.5
    assert not bucket.try_accept()
    clock.now += 0.5
    assert bucket.try_accept()


@pytest.mark.parametrize(("qps", "burst"), [(0.0, 1), (1.0, 0), (-1.0, 5)])
def test_token_bucket_rejects_nonsense(qps: float, burst: int) -> None:
    """A bucket that could never hand out a token is a programming error."""
    with pytest.raises(ValueError, match="qps > 0 and burst > 0"):
        TokenBucket(qps, burst)


def test_default_controller_rate_limiter_is_client_gos() -> None:
    """5 ms doubling to 1000 s per item; 10 qps / burst 100 overall; the longer wins."""
    clock = FakeClock()
    limiter = default_controller_rate_limiter(now=clock)
    exponential, bucket = limiter.limiters
    assert isinstance(exponential, ItemExponentialFailureRateLimiter)
    assert (exponential.base_delay, exponential.max_delay) == (0.005, 1000.0)
    assert isinstance(bucket, BucketRateLimiter)
    assert (bucket.bucket.qps, bucket.bucket.burst) == (10.0, 100)
    # 100 distinct items fail once: the bucket's burst covers them, so the per-item 5 ms wins.
    assert [limiter.when(f"item-{i}") for i in range(100)] == [0.005] * 100
    # The 101st has to wait for a token: 100 ms at 10 qps.
    assert limiter.when("item-100") == pytest.approx(0.1)
    assert limiter.num_requeues("item-1") == 1
    limiter.forget("item-1")
    assert limiter.num_requeues("item-1") == 0


def test_max_of_asks_every_limiter() -> None:
    """Every limiter counts the failure; the answer is the longest wait."""
    slow = ItemExponentialFailureRateLimiter(1.0, 100.0)
    fast = ItemExponentialFailureRateLimiter(0.001, 100.0)
    both = MaxOfRateLimiter(fast, slow)
    assert both.when("x") == 1.0
    assert (slow.num_requeues("x"), fast.num_requeues("x")) == (1, 1)
    assert MaxOfRateLimiter().when("x") == 0.0
