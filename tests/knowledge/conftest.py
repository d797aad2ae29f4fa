"""Fixtures of the knowledge tests: a real Redis for the job tests."""

from redis_jobs_server import redis_jobs, redis_jobs_server

__all__ = ["redis_jobs", "redis_jobs_server"]
