// The vertexchat example client with grpc-go. Usage: grpc-client 127.0.0.1:8080
package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"example.com/vertexchat/examples/go/chatsteps"
	v1 "example.com/vertexchat/examples/go/gen/vertexchat/v1"
)

type grpcChat struct{ client v1.ChatServiceClient }

func (c grpcChat) Create(ctx context.Context, req *v1.ChatCompletionRequest) (*v1.ChatCompletionResponse, string, error) {
	var header metadata.MD
	res, err := c.client.CreateChatCompletion(ctx, req, grpc.Header(&header))
	if err != nil {
		return nil, "", err
	}
	location := ""
	if values := header.Get("x-vertexchat-location"); len(values) > 0 {
		location = values[0]
	}
	return res, location, nil
}

func (c grpcChat) Stream(ctx context.Context, req *v1.ChatCompletionRequest) (func() (*v1.ChatCompletionStreamResponse, error), error) {
	stream, err := c.client.StreamChatCompletion(ctx, req)
	if err != nil {
		return nil, err
	}
	return stream.Recv, nil
}

func (grpcChat) Code(err error) string {
	// "DeadlineExceeded" → "deadline_exceeded", the same spelling connect-go uses.
	name := status.Code(err).String()
	var b strings.Builder
	for i, r := range name {
		if i > 0 && r >= 'A' && r <= 'Z' {
			b.WriteByte('_')
		}
		b.WriteRune(r)
	}
	return strings.ToLower(b.String())
}

func (grpcChat) Details(err error) []proto.Message {
	var out []proto.Message
	for _, d := range status.Convert(err).Details() {
		if m, ok := d.(proto.Message); ok {
			out = append(out, m)
		}
	}
	return out
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: grpc-client 127.0.0.1:8080")
		os.Exit(2)
	}
	conn, err := grpc.NewClient(os.Args[1], grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
	defer conn.Close()
	if err := chatsteps.Run(context.Background(), grpcChat{v1.NewChatServiceClient(conn)}); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}
