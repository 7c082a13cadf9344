"""The official Python client (replicate 1.0.7) doing the batch benchmark's job: N predictions of
ideogram-ai/ideogram-v2-turbo at concurrency C, each created with `async_run` (Prefer: wait) and its
output read. Prints one JSON line: wall and CPU seconds, peak RSS, failures.

Usage: python python_client.py BASE_URL TOKEN N C   (BASE_URL without /v1: the client adds it)
Run by benches/batch.rs when PYTHON_REPLICATE names a Python with `replicate==1.0.7` installed.
"""

import asyncio
import json
import resource
import sys
import time

import httpx
import replicate


async def main(base_url: str, token: str, n: int, concurrency: int) -> None:
    client = replicate.Client(api_token=token, base_url=base_url)
    # The client wraps only https: and data: outputs in FileOutput; a plain http: URL (the simulator's) comes
    # back as a string and is fetched with one pooled httpx client, as a user would.
    http = httpx.AsyncClient()
    gate = asyncio.Semaphore(concurrency)
    failures = 0

    async def one(i: int) -> None:
        nonlocal failures
        async with gate:
            try:
                output = await client.async_run(
                    "ideogram-ai/ideogram-v2-turbo",
                    input={"prompt": f"benchmark image {i}", "seed": i},
                )
                if hasattr(output, "aread"):
                    await output.aread()
                else:
                    (await http.get(output)).raise_for_status()
            except Exception:  # every failure counts, whatever its kind
                failures += 1

    before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.monotonic()
    await asyncio.gather(*(one(i) for i in range(n)))
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    print(json.dumps({"wall": wall, "cpu": cpu, "peak_rss_kib": after.ru_maxrss, "failures": failures}))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])))
