"""The load gate's verdict, on figures made up here around the policy's limits."""

import pytest

from {{ cookiecutter.package }} import core


@pytest.fixture
def limits(policy):
    return policy.gates.load


@pytest.fixture
def confined(limits):
    return core.load.Confined("cgroup v1", limits.max_rss_mb, limits.max_cpu_percent)


def within(limits) -> tuple[dict, dict]:
    """Locust's totals and sampled resources that meet every limit."""
    stats = {"p95_ms": limits.p95_ms / 2, "failure_ratio": 0.0, "failures": 0}
    stats["rps"] = limits.min_rps * 2
    resources = {"peak_cpu_percent": limits.max_cpu_percent / 2}
    resources["peak_rss_mb"] = limits.max_rss_mb / 2
    return stats, resources


def test_a_service_within_every_limit_passes_and_names_its_confinement(limits, confined):
    result = core.load.verdict(limits, *within(limits), confined)
    assert result.passed
    assert f"confined by a cgroup v1 to {limits.max_rss_mb:g} MB" in result.reason
    assert result.figures["confinement"]["kind"] == "cgroup v1"


def test_a_kernel_oom_kill_under_load_fails_in_words(limits, confined):
    confined.oom_kills = 1
    ended = core.load.Ended(returncode=-9, seconds=3.24, phase="load")
    result = core.load.verdict(limits, *within(limits), confined, ended)
    assert not result.passed
    limit = f"{limits.max_rss_mb:g} MB"
    assert f"killed by the kernel at its {limit} limit after 3.2 s of load" in result.reason


def test_a_sigkill_inside_a_cgroup_at_startup_is_the_kernels(limits, confined):
    ended = core.load.Ended(returncode=-9, seconds=0.8, phase="startup")
    result = core.load.verdict(limits, None, None, confined, ended)
    assert not result.passed and result.reason.startswith("at startup: the service was killed")
    assert "after 0.8 s of startup" in result.reason


def test_an_unconfined_service_says_so_and_a_crash_is_not_an_oom_kill(limits):
    alone = core.load.Confined("", limits.max_rss_mb, limits.max_cpu_percent, why_not="no cgroup")
    ended = core.load.Ended(returncode=1, seconds=2.0, phase="load")
    result = core.load.verdict(limits, *within(limits), alone, ended)
    assert "the service exited with status 1 after 2.0 s of load" in result.reason
    assert "measured without confinement: no cgroup" in result.reason
    assert "kernel" not in result.reason


def test_cpu_throttling_is_reported_and_missed_limits_are_named(limits, confined):
    confined.periods, confined.throttled_periods, confined.throttled_seconds = 100, 37, 1.84
    stats, resources = within(limits)
    stats["p95_ms"] = limits.p95_ms * 2
    result = core.load.verdict(limits, stats, resources, confined, drift=["limits differ"])
    assert not result.passed
    assert f"p95 latency (ms) {limits.p95_ms * 2:.4g} misses <= {limits.p95_ms:g}" in result.reason
    assert "limits differ" in result.reason
    assert "throttled its CPU" in result.reason and "in 37 of 100 periods (1.8 s" in result.reason


def test_a_service_that_stopped_for_an_unknown_reason_is_not_blamed_on_the_kernel(limits):
    docker = core.load.Confined("Docker container", limits.max_rss_mb, limits.max_cpu_percent)
    ended = core.load.Ended(returncode=None, seconds=1.5, phase="startup")
    result = core.load.verdict(limits, None, None, docker, ended)
    assert "at startup: the service stopped after 1.5 s of startup" in result.reason
