"""OpenRLHF's remote reward calls against serve-policy-reward, Python standard library only.

OpenRLHF (--reward.remote_url) posts one rollout per request, {"query": [q], "prompts": [p],
"labels": [l]}, concurrently from its workers, with a 180 s timeout and 5 tries 1 s apart; with
several reward URLs, every URL but the first gets the empty rest of a one-item batch.

Usage: python3 openrlhf_policy_client.py URL < case.json > result.json, where case.json is
{"prompt": p, "queries": [q0, q1, ...]}. The client
  1. posts an empty batch;
  2. posts queries[0] on a raw connection, waits until the server holds it (GET /health), and
     drops the connection (as a worker that gave up would);
  3. posts every query concurrently, one per request, with OpenRLHF's retry loop — queries[0]
     again being the dropped request's retry.
It prints {"empty": answer, "dropped_held": n, "rollouts": [answer, ...]}.
"""

import json
import socket
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

TIMEOUT_S = 180
TRIES = 5


def post(url, body):
    data = json.dumps(body).encode("utf-8")
    for attempt in range(TRIES):
        request = urllib.request.Request(
            url + "/get_reward", data=data, headers={"Content-Type": "application/json"}, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
                return json.loads(response.read().decode("utf-8"))
        except urllib.error.URLError:
            if attempt == TRIES - 1:
                raise
            time.sleep(1)


def held(url):
    with urllib.request.urlopen(url + "/health", timeout=10) as response:
        return json.loads(response.read().decode("utf-8"))["groups"]["held"]


def wait_for(url, count):
    while held(url) != count:
        time.sleep(0.01)


def drop(url, body):
    """Sends a request on a raw socket, waits until the server holds it, then closes the socket."""
    parts = urllib.parse.urlsplit(url)
    data = json.dumps(body).encode("utf-8")
    head = (
        "POST /get_reward HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"
        % (parts.netloc, len(data))
    )
    connection = socket.create_connection((parts.hostname, parts.port))
    connection.sendall(head.encode("ascii") + data)
    wait_for(url, 1)
    connection.close()
    wait_for(url, 0)
    return 1


def main():
    url = sys.argv[1].rstrip("/")
    case = json.load(sys.stdin)
    one = lambda q: {"query": [q], "prompts": [case["prompt"]], "labels": [""]}
    empty = post(url, {"query": [], "prompts": [], "labels": []})
    dropped_held = drop(url, one(case["queries"][0]))
    with ThreadPoolExecutor(max_workers=len(case["queries"])) as pool:
        rollouts = list(pool.map(lambda q: post(url, one(q)), case["queries"]))
    json.dump({"empty": empty, "dropped_held": dropped_held, "rollouts": rollouts}, sys.stdout)


if __name__ == "__main__":
    main()
