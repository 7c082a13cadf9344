"""The official Python client (replicate 1.0.7) doing the batch benchmark's job: N predictions of
ideogram-ai/ideogram-v2-turbo at concurrency C, each output read. Prints one JSON line: wall and CPU
seconds, peak RSS, failures by kind.

Usage: python python_client.py MODE BASE_URL TOKEN N C [DIR]   (BASE_URL without /v1: the client adds it)
MODE:  run    `async_run` as documented (Prefer: wait, then 0.5 s polls)
       poll   `async_run(..., wait=False)`: no sync wait, 0.5 s polls from the start
       retry  `async_run`, and the caller runs a failed prediction again (up to 3 more times), as users
              do because the client never retries a POST
       files  `async_run`, and each output written to DIR/NNNNN.<ext>, as a user's script saving a batch
              would (the benchmark's cli scenario, against `ideogram batch`; measured whole from outside)
Run by benches/batch (bench/run makes the virtualenv with `replicate==1.0.7`).
"""

import asyncio
import json
import os
import resource
import sys
import time
import urllib.parse
from collections import Counter

import httpx
import replicate


async def main(mode: str, base_url: str, token: str, n: int, concurrency: int, out_dir: str) -> None:
    client = replicate.Client(api_token=token, base_url=base_url)
    # The client wraps only https: and data: outputs in FileOutput; a plain http: URL (the simulator's) comes
    # back as a string and is fetched with one pooled httpx client, as a user would.
    http = httpx.AsyncClient()
    gate = asyncio.Semaphore(concurrency)
    errors: Counter = Counter()
    attempts = 4 if mode == "retry" else 1
    wait = mode != "poll"

    async def once(i: int) -> None:
        output = await client.async_run(
            "ideogram-ai/ideogram-v2-turbo",
            input={"prompt": f"benchmark image {i}", "seed": i},
            wait=wait,
        )
        if hasattr(output, "aread"):
            data = await output.aread()
            url = str(output.url)
        else:
            response = await http.get(output)
            response.raise_for_status()
            data, url = response.content, output
        if mode == "files":
            extension = os.path.splitext(urllib.parse.urlparse(url).path)[1] or ".png"
            with open(os.path.join(out_dir, f"{i:05d}{extension}"), "wb") as file:
                file.write(data)

    async def one(i: int) -> None:
        async with gate:
            for attempt in range(attempts):
                try:
                    await once(i)
                    return
                except Exception as error:  # every failure counts, whatever its kind
                    if attempt == attempts - 1:
                        status = getattr(error, "status", None)
                        errors[f"{type(error).__name__} {status}" if status else type(error).__name__] += 1

    before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.monotonic()
    await asyncio.gather(*(one(i) for i in range(n)))
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    print(json.dumps({
        "wall": wall,
        "cpu": cpu,
        "peak_rss_kib": after.ru_maxrss,
        "failures": sum(errors.values()),
        "errors": dict(errors),
    }))


if __name__ == "__main__":
    out = sys.argv[6] if len(sys.argv) > 6 else ""
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), out))
