"""A vertexchat client in Python with grpcio: a unary call, a stream rebuilt into the whole answer, error details,
a deadline, a cancelled stream, inline media, and a thought-signature round trip. Each step prints one JSON line.

Usage: python client.py 127.0.0.1:8080   (run.sh generates the client into ./gen first)
"""

import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "gen"))

import grpc  # noqa: E402
from google.protobuf import struct_pb2  # noqa: E402
from google.rpc import error_details_pb2  # noqa: E402
from grpc_status import rpc_status  # noqa: E402

from vertexchat.v1 import chat_service_pb2 as chat  # noqa: E402
from vertexchat.v1 import chat_service_pb2_grpc as chat_grpc  # noqa: E402
from vertexchat.v1 import content_pb2 as content  # noqa: E402
from vertexchat.v1 import tools_pb2 as tools  # noqa: E402


def user_request(model, text):
    return chat.ChatCompletionRequest(
        model=model,
        messages=[content.Message(role=content.ROLE_USER, content=[content.ContentPart(text=text)])],
    )


def answer_text(message):
    return "".join(p.text for p in message.content if not p.thought and p.WhichOneof("kind") == "text")


def rebuild(stream):
    """Rebuilds the whole response by the rule documented on ChatCompletionStreamResponse."""
    out = chat.ChatCompletionResponse()
    choices = {}

    def choice(index):
        if index not in choices:
            c = out.choices.add(index=index)
            c.message.role = content.ROLE_ASSISTANT
            choices[index] = c
        return choices[index]

    for event in stream:
        kind = event.WhichOneof("event")
        if kind == "started":
            out.id, out.model, out.created = event.started.id, event.started.model, event.started.created
            out.served_by.CopyFrom(event.started.served_by)
        elif kind == "delta":
            message = choice(event.delta.choice_index).message
            d = event.delta.WhichOneof("delta")
            if d in ("text", "thought"):
                thought = d == "thought"
                text = getattr(event.delta, d)
                last = message.content[-1] if message.content else None
                if last is not None and last.WhichOneof("kind") == "text" and last.thought == thought:
                    last.text += text
                else:
                    message.content.add(text=text, thought=thought)
            elif d == "part":
                message.content.append(event.delta.part)
            elif d == "tool_call":
                piece = event.delta.tool_call
                while len(message.tool_calls) <= piece.call_index:
                    message.tool_calls.add()
                call = message.tool_calls[piece.call_index]
                if piece.id:
                    call.id = piece.id
                if piece.name:
                    call.name = piece.name
                if piece.thought_signature:
                    call.thought_signature = piece.thought_signature
                call.arguments += piece.arguments
            elif d == "thought_signature":
                message.thought_signature = event.delta.thought_signature
        elif kind == "finished":
            for f in event.finished.choices:
                choice(f.index).finish_reason = f.finish_reason
                choice(f.index).upstream_finish_reason = f.upstream_finish_reason
            out.usage.CopyFrom(event.finished.usage)
            return out
    raise RuntimeError("the stream ended without a finished event: the answer is incomplete")


def code_of(err):
    return err.code().name.lower()


def details_of(err):
    status = rpc_status.from_call(err)
    found = []
    for detail in status.details if status else []:
        for cls in (error_details_pb2.BadRequest, error_details_pb2.ErrorInfo, error_details_pb2.RetryInfo):
            if detail.Is(cls.DESCRIPTOR):
                message = cls()
                detail.Unpack(message)
                found.append(message)
    return found


def unary(stub):
    res, call = stub.CreateChatCompletion.with_call(user_request("google/gemini-2.5-flash", "Hello from Python"))
    location = dict(call.initial_metadata()).get("x-vertexchat-location", "")
    c = res.choices[0]
    return {"step": "unary", "text": answer_text(c.message), "finish": chat.FinishReason.Name(c.finish_reason),
            "total_tokens": res.usage.total_tokens, "location": location}


def stream(stub):
    res = rebuild(stub.StreamChatCompletion(user_request("google/gemini-2.5-flash", "Stream to Python")))
    c = res.choices[0]
    return {"step": "stream", "text": answer_text(c.message), "finish": chat.FinishReason.Name(c.finish_reason),
            "total_tokens": res.usage.total_tokens}


def error_details(stub):
    request = user_request("google/gemini-2.5-flash", "x")
    del request.messages[:]
    out = {"step": "error"}
    try:
        stub.CreateChatCompletion(request)
    except grpc.RpcError as err:
        out["code"] = code_of(err)
        for d in details_of(err):
            if isinstance(d, error_details_pb2.BadRequest):
                out["field"] = d.field_violations[0].field
            elif isinstance(d, error_details_pb2.ErrorInfo):
                out["reason"] = d.reason
    try:
        stub.CreateChatCompletion(user_request("google/gemini-2.5-flash", "[[emulate status=429]]"))
    except grpc.RpcError as err:
        out["upstream_code"] = code_of(err)
        for d in details_of(err):
            if isinstance(d, error_details_pb2.RetryInfo):
                out["retry_delay_ms"] = d.retry_delay.ToMilliseconds()
    return out


def deadline(stub):
    try:
        stub.CreateChatCompletion(user_request("google/gemini-2.5-flash", "py deadline [[emulate delay_ms=3000]]"), timeout=0.3)
        return {"step": "deadline", "code": "ok"}
    except grpc.RpcError as err:
        return {"step": "deadline", "code": code_of(err)}


def cancel_stream(stub):
    call = stub.StreamChatCompletion(user_request("google/gemini-2.5-flash", "py cancel [[emulate words=500 pacing_ms=20]]"))
    deltas = 0
    try:
        for event in call:
            if event.WhichOneof("event") == "delta":
                deltas += 1
                if deltas == 3:
                    call.cancel()
    except grpc.RpcError as err:
        return {"step": "cancel", "deltas": deltas, "code": code_of(err)}
    return {"step": "cancel", "deltas": deltas, "code": "ok"}


def inline_media(stub):
    request = user_request("google/gemini-2.5-flash", "py media: describe the image")
    png = b"\x89PNG\r\n\x1a\n"
    request.messages[0].content.add(image=content.Media(data=png, mime_type="image/png"))
    res = stub.CreateChatCompletion(request)
    return {"step": "media", "text": answer_text(res.choices[0].message)}


def signature_round_trip(stub):
    params = struct_pb2.Struct()
    params.update({"type": "object", "properties": {"city": {"type": "string"}}})
    request = user_request("google/gemini-3.1-pro-preview", "py weather in Oslo")
    request.tools.append(tools.Tool(function=tools.FunctionTool(name="get_weather", parameters=params)))
    first = stub.CreateChatCompletion(request)
    assistant = first.choices[0].message
    call = assistant.tool_calls[0]
    # Send the assistant message back unchanged, then the tool's result.
    request.messages.append(assistant)
    request.messages.add(role=content.ROLE_TOOL, tool_call_id=call.id, content=[content.ContentPart(text='{"temp_c":21}')])
    second = stub.CreateChatCompletion(request)
    return {"step": "signature", "signature_bytes": len(call.thought_signature), "text": answer_text(second.choices[0].message)}


def main():
    if len(sys.argv) < 2:
        print("usage: client.py 127.0.0.1:8080", file=sys.stderr)
        sys.exit(2)
    with grpc.insecure_channel(sys.argv[1]) as channel:
        stub = chat_grpc.ChatServiceStub(channel)
        for step in (unary, stream, error_details, deadline, cancel_stream, inline_media, signature_round_trip):
            print(json.dumps(step(stub), sort_keys=True), flush=True)


if __name__ == "__main__":
    main()
