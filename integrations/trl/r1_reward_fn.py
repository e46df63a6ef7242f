"""TRL GRPO reward function backed by `r1-reward serve-policy-reward` (Python standard library only).

    from r1_reward_fn import r1_reward
    trainer = GRPOTrainer(model=..., reward_funcs=r1_reward, args=GRPOConfig(num_generations=8), ...)

TRL calls r1_reward(prompts, completions, **dataset_columns) with every completion of the step on
this process; it sends them in one request and returns the server's rewards (None for a rollout
the server could not judge). The item of each rollout comes from the dataset's columns: "question"
(default: the prompt's text), "images" or "image" (paths under the server's --images-root, data
URLs, or PIL images, sent as PNG data URLs), and "reference" (reference mode). With a --data file on
the server, a prompt found there needs no columns; without it, a prompt with no "question" column
is its own question. The prompt (as text, or a chat as JSON) keys the
group: with several processes a prompt's rollouts arrive in several requests, and the server holds
them until --group-size have arrived.

Environment: R1_REWARD_URL (default http://127.0.0.1:5000), R1_REWARD_API_KEY (bearer token),
R1_REWARD_TIMEOUT (seconds, default 180).
"""

import base64
import io
import json
import os
import time
import urllib.error
import urllib.request

URL = os.environ.get("R1_REWARD_URL", "http://127.0.0.1:5000").rstrip("/") + "/get_reward"
TIMEOUT_S = float(os.environ.get("R1_REWARD_TIMEOUT", "180"))
TRIES = 5


# A user copies this one file into a trainer, so it stays self-contained: r1_reward_score.py repeats _post on purpose.
def _post(body):
    data = json.dumps(body).encode("utf-8")
    headers = {"Content-Type": "application/json"}
    token = os.environ.get("R1_REWARD_API_KEY")
    if token:
        headers["Authorization"] = "Bearer " + token
    for attempt in range(TRIES):
        request = urllib.request.Request(URL, data=data, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
                return json.loads(response.read().decode("utf-8"))
        except urllib.error.HTTPError as error:
            if error.code < 500 or attempt == TRIES - 1:
                raise RuntimeError("r1-reward server: HTTP %d: %s" % (error.code, error.read().decode("utf-8", "replace")))
        except (urllib.error.URLError, TimeoutError, ConnectionError):
            if attempt == TRIES - 1:
                raise
        time.sleep(1)


def _text(value):
    """A completion or prompt as text: a string, or a chat (list of messages) as its text parts."""
    if isinstance(value, str):
        return value
    parts = []
    for message in value:
        content = message.get("content", "")
        if isinstance(content, str):
            parts.append(content)
        else:
            parts.extend(p.get("text", "") for p in content if p.get("type") == "text")
    return "\n".join(parts)


def _image(image):
    if isinstance(image, str):
        return image
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")  # a PIL image (TRL's vision datasets)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _label(i, prompt, columns):
    item = {}
    question = columns.get("question")
    if question is not None and question[i] is not None:
        item["question"] = question[i]
    images = columns.get("images", columns.get("image"))
    if images is not None and images[i] is not None:
        row = images[i] if isinstance(images[i], (list, tuple)) else [images[i]]
        item["images"] = [_image(image) for image in row]
    reference = columns.get("reference")
    if reference is not None and reference[i] is not None:
        item["reference"] = reference[i]
    return item


def r1_reward(prompts, completions, **kwargs):
    """Rewards for the completions: centred win rates from the pairwise judge."""
    columns = {k: v for k, v in kwargs.items() if isinstance(v, (list, tuple)) and len(v) == len(completions)}
    body = {
        "query": [_text(c) for c in completions],
        "prompts": [p if isinstance(p, str) else json.dumps(p, sort_keys=True) for p in prompts],
        "labels": [_label(i, p, columns) for i, p in enumerate(prompts)],
    }
    answer = _post(body)
    failed = answer.get("extra_logs", {}).get("judge_failed", [0] * len(completions))
    return [None if failed[i] else reward for i, reward in enumerate(answer["rewards"])]
