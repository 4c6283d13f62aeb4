/**
 * "Copy as…": the playground's current request as a command or a program that sends the same request (as a stream)
 * to the same gateway. Pure; the request travels as its canonical JSON, which every language's protobuf runtime
 * parses. An API key is never written out: the snippets read it from VERTEXCHAT_API_KEY.
 */

export type SnippetForm = "buf-curl" | "go" | "python" | "typescript";

export interface SnippetInput {
  /** The request as protobuf JSON. */
  json: string;
  /** The gateway's origin, e.g. http://127.0.0.1:8080. */
  origin: string;
  /** Whether the gateway asked for an API key. */
  withApiKey: boolean;
}

const METHOD = "vertexchat.v1.ChatService/StreamChatCompletion";

/** A single-quoted shell word. */
function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

export function snippet(form: SnippetForm, input: SnippetInput): string {
  switch (form) {
    case "buf-curl":
      return bufCurl(input);
    case "go":
      return goProgram(input);
    case "python":
      return pythonProgram(input);
    case "typescript":
      return typescriptProgram(input);
  }
}

function bufCurl({ json, origin, withApiKey }: SnippetInput): string {
  const auth = withApiKey ? ` -H "Authorization: Bearer $VERTEXCHAT_API_KEY"` : "";
  // Server reflection (on by default) gives buf curl the schema; from the project folder, --schema proto does too.
  return `npx buf curl --protocol connect${auth} -d ${shellQuote(json)} ${origin}/${METHOD}`;
}

/** A Go raw string literal holding `text` (backquotes spliced in as interpreted strings). */
function goRaw(text: string): string {
  return `\`${text.replaceAll("`", '` + "`" + `')}\``;
}

function goProgram({ json, origin, withApiKey }: SnippetInput): string {
  const auth = withApiKey ? `\n\treq.Header().Set("Authorization", "Bearer "+os.Getenv("VERTEXCHAT_API_KEY"))` : "";
  return `package main

import (
	"context"
	"fmt"
	"net/http"${withApiKey ? '\n\t"os"' : ""}

	"connectrpc.com/connect"
	"google.golang.org/protobuf/encoding/protojson"

	v1 "github.com/vertexchat/vertexchat/gen/go/vertexchat/v1"
	"github.com/vertexchat/vertexchat/gen/go/vertexchat/v1/vertexchatv1connect"
)

func main() {
	msg := &v1.ChatCompletionRequest{}
	if err := protojson.Unmarshal([]byte(${goRaw(json)}), msg); err != nil {
		panic(err)
	}
	client := vertexchatv1connect.NewChatServiceClient(http.DefaultClient, "${origin}")
	req := connect.NewRequest(msg)${auth}
	stream, err := client.StreamChatCompletion(context.Background(), req)
	if err != nil {
		panic(err)
	}
	for stream.Receive() {
		if delta := stream.Msg().GetDelta(); delta != nil {
			fmt.Print(delta.GetText())
		}
	}
	if err := stream.Err(); err != nil {
		panic(err)
	}
	fmt.Println()
}
`;
}

function pythonProgram({ json, origin, withApiKey }: SnippetInput): string {
  const host = origin.replace(/^https?:\/\//, "");
  const channel = origin.startsWith("https:")
    ? `grpc.secure_channel(${JSON.stringify(host)}, grpc.ssl_channel_credentials())`
    : `grpc.insecure_channel(${JSON.stringify(host)})`;
  const metadata = withApiKey ? `, metadata=[("authorization", "Bearer " + os.environ["VERTEXCHAT_API_KEY"])]` : "";
  return `# With gen/ compiled as README's "Python: which files to compile" says.
import sys${withApiKey ? "\nimport os" : ""}

sys.path.insert(0, "gen")

import grpc
from google.protobuf import json_format

from vertexchat.v1 import chat_service_pb2 as chat
from vertexchat.v1 import chat_service_pb2_grpc as chat_grpc

request = json_format.Parse(${JSON.stringify(json)}, chat.ChatCompletionRequest())
stub = chat_grpc.ChatServiceStub(${channel})
for event in stub.StreamChatCompletion(request${metadata}):
    if event.HasField("delta"):
        print(event.delta.text, end="")
print()
`;
}

function typescriptProgram({ json, origin, withApiKey }: SnippetInput): string {
  const headers = withApiKey ? ', { headers: { authorization: "Bearer " + process.env.VERTEXCHAT_API_KEY } }' : "";
  return `import { fromJsonString } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { ChatCompletionRequestSchema, ChatService } from "vertexchat/client";

const request = fromJsonString(ChatCompletionRequestSchema, ${JSON.stringify(json)});
const client = createClient(ChatService, createConnectTransport({ baseUrl: ${JSON.stringify(origin)}, httpVersion: "1.1" }));
for await (const event of client.streamChatCompletion(request${headers})) {
  if (event.event.case === "delta" && event.event.value.delta.case === "text") process.stdout.write(event.event.value.delta.value);
}
console.log();
`;
}
