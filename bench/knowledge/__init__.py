"""Knowledge-base benchmark: query latency at 50,000 chunks, ingest throughput, memory."""
