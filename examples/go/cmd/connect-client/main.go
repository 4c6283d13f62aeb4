// The vertexchat example client with connect-go (speaking gRPC; drop connect.WithGRPC() for the Connect protocol).
// Usage: connect-client http://127.0.0.1:8080
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"

	"example.com/vertexchat/examples/go/chatsteps"
	v1 "example.com/vertexchat/examples/go/gen/vertexchat/v1"
	"example.com/vertexchat/examples/go/gen/vertexchat/v1/vertexchatv1connect"
)

type connectChat struct{ client vertexchatv1connect.ChatServiceClient }

func (c connectChat) Create(ctx context.Context, req *v1.ChatCompletionRequest) (*v1.ChatCompletionResponse, string, error) {
	res, err := c.client.CreateChatCompletion(ctx, connect.NewRequest(req))
	if err != nil {
		return nil, "", err
	}
	return res.Msg, res.Header().Get("x-vertexchat-location"), nil
}

func (c connectChat) Stream(ctx context.Context, req *v1.ChatCompletionRequest) (func() (*v1.ChatCompletionStreamResponse, error), error) {
	stream, err := c.client.StreamChatCompletion(ctx, connect.NewRequest(req))
	if err != nil {
		return nil, err
	}
	return func() (*v1.ChatCompletionStreamResponse, error) {
		if stream.Receive() {
			return stream.Msg(), nil
		}
		if err := stream.Err(); err != nil {
			return nil, err
		}
		return nil, io.EOF
	}, nil
}

func (connectChat) Code(err error) string { return connect.CodeOf(err).String() }

func (connectChat) Details(err error) []proto.Message {
	var cerr *connect.Error
	if !errors.As(err, &cerr) {
		return nil
	}
	var out []proto.Message
	for _, d := range cerr.Details() {
		if v, derr := d.Value(); derr == nil {
			out = append(out, v)
		}
	}
	return out
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: connect-client http://127.0.0.1:8080")
		os.Exit(2)
	}
	// gRPC over a plain-text port needs HTTP/2 with prior knowledge (Go ≥ 1.24).
	var protocols http.Protocols
	protocols.SetUnencryptedHTTP2(true)
	httpClient := &http.Client{Transport: &http.Transport{Protocols: &protocols}}
	client := vertexchatv1connect.NewChatServiceClient(httpClient, os.Args[1], connect.WithGRPC())
	if err := chatsteps.Run(context.Background(), connectChat{client}); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}
