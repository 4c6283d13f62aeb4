"""Every call pattern of Google's chat-completions samples, with the openai package, against one base URL.

Prints one JSON object: each pattern's answer as a caller compares it (ids and timestamps left out, tool-call ids
by position), so that two runs — through vertexchat and straight to Vertex (or its emulator) — can be diffed.
Usage: python patterns.py BASE_URL API_KEY
"""

import base64
import json
import sys

import pydantic
from openai import OpenAI

client = OpenAI(base_url=sys.argv[1], api_key=sys.argv[2], max_retries=0)
FLASH = "google/gemini-2.5-flash"
GEMINI_3 = "google/gemini-3-pro-preview"
PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n a tiny image").decode()


def comparable(completion):
    data = completion.model_dump(exclude={"id", "created"}, exclude_none=True)
    for choice in data["choices"]:
        for i, call in enumerate(choice["message"].get("tool_calls") or []):
            call["id"] = f"call-{i}"
    return data


def create(**body):
    return comparable(client.chat.completions.create(**body))


def user(text):
    return [{"role": "user", "content": text}]


out = {}
out["text"] = create(model=FLASH, messages=user("Hello from Python"))
out["system and multi-turn"] = create(
    model=FLASH,
    messages=[
        {"role": "system", "content": "You are terse."},
        {"role": "user", "content": "Name a colour"},
        {"role": "assistant", "content": "Blue"},
        {"role": "user", "content": "Another one"},
    ],
)

chunks = list(client.chat.completions.create(model=FLASH, messages=user("Stream to Python"), stream=True))
out["stream"] = {
    "text": "".join(c.choices[0].delta.content or "" for c in chunks if c.choices),
    "finish_reason": [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason],
    "usage": chunks[-1].usage.model_dump(exclude_none=True) if chunks[-1].usage else None,
}

out["images: gs:// object, data: URI bare string"] = create(
    model=FLASH,
    messages=[
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "Describe both"},
                {"type": "image_url", "image_url": {"url": "gs://cloud-samples-data/generative-ai/image/scones.jpg"}},
                {"type": "image_url", "image_url": f"data:image/png;base64,{PNG}"},
            ],
        }
    ],
)
out["audio by gs://"] = create(
    model=FLASH,
    messages=[
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "Transcribe"},
                {
                    "type": "input_audio",
                    "input_audio": {"data": "gs://cloud-samples-data/generative-ai/audio/pixel.mp3", "format": "audio/mp3"},
                },
            ],
        }
    ],
)

tools = [
    {"type": "function", "function": {"name": name, "parameters": {"type": "object", "properties": {"q": {"type": "string"}}}}}
    for name in ("get_weather", "get_time")
]
messages = user("Weather and time in Paris?")
turns = []
for _ in range(3):
    answer = client.chat.completions.create(model=GEMINI_3, messages=messages, tools=tools)
    turns.append(comparable(answer))
    message = answer.choices[0].message
    # The assistant message goes back as it came, signatures (extra_content) included.
    messages.append(message.model_dump(exclude_none=True))
    for call in message.tool_calls or []:
        messages.append({"role": "tool", "tool_call_id": call.id, "content": '{"ok": true}'})
out["tools, results, and signatures over three turns"] = turns


class City(pydantic.BaseModel):
    name: str
    population: int


parsed = client.chat.completions.parse(model=FLASH, messages=user("A city as JSON"), response_format=City)
out["JSON schema parsed by the SDK"] = parsed.choices[0].message.parsed.model_dump()

out["thinking with a marker"] = create(
    model=FLASH,
    messages=user("Think first"),
    extra_body={"extra_body": {"google": {"thinking_config": {"include_thoughts": True}, "thought_tag_marker": "think"}}},
)
out["n"] = create(model=FLASH, n=2, messages=user("Two answers"))

print(json.dumps(out, sort_keys=True))
